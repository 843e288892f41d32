"""Documents: what the engine knows of a challenge or a startup profile, built from plain records."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Mapping, Optional, Sequence

from matchmaker.text import LanguageMix, language_mix, normalize, passages, split_sentences, terms

LANGUAGES = ("ko", "en", "mixed")


class RecordError(ValueError):
    """A record that cannot become a document; the message names the key at fault."""


@dataclass(frozen=True)
class Document:
    """A challenge or a startup as text plus the facts the eligibility rules need.

    `text` is what is embedded: for a challenge its title, description, requirements and
    tags; for a startup its summary, description and technologies (the name is left out:
    a brand says nothing about fit). `fields` holds a challenge's own field, or the fields
    a startup is interested in (empty: no preference stated).
    """

    id: str
    kind: str  # "challenge" or "startup"
    title: str
    text: str
    language: str
    fields: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @cached_property
    def mix(self) -> LanguageMix:
        """The Korean/English share of the text's words."""
        return language_mix(self.text)

    # Text work is done once per document: a round touches each text several times.

    @cached_property
    def terms(self) -> list[str]:
        """The content words (English lower-cased, Korean stems), in order."""
        return terms(self.text)

    @cached_property
    def sentences(self) -> list[str]:
        """The sentences and list items of the text."""
        return split_sentences(self.text)

    def passages(self, max_chars: int) -> list[str]:
        """The text packed into passages of at most max_chars characters (see matchmaker.text.passages)."""
        cache = self.__dict__.setdefault("_passages", {})
        if max_chars not in cache:
            cache[max_chars] = passages(self.text, max_chars)
        return cache[max_chars]


def _text(record: Mapping[str, Any], key: str, *, required: bool = False) -> str:
    value = record.get(key)
    if value is None:
        if required:
            raise RecordError(f"missing '{key}'")
        return ""
    if not isinstance(value, str):
        raise RecordError(f"'{key}' must be a string")
    value = normalize(value)
    if required and not value:
        raise RecordError(f"'{key}' is empty")
    return value


def _terms(record: Mapping[str, Any], key: str) -> list[str]:
    value = record.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        value = [part for part in value.split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RecordError(f"'{key}' must be a list of strings")
    return [normalize(v) for v in value if v.strip()]


def _id(record: Mapping[str, Any]) -> str:
    value = record.get("id")
    if value is None or isinstance(value, bool) or not isinstance(value, (str, int)):
        raise RecordError("missing 'id' (a string or an integer)")
    value = str(value).strip()
    if not value:
        raise RecordError("'id' is empty")
    return value


def _language(record: Mapping[str, Any], text: str) -> str:
    given = record.get("language")
    if given is None or given == "":
        return language_mix(text).label
    if given not in LANGUAGES:
        raise RecordError(f"'language' must be one of {', '.join(LANGUAGES)}")
    return given


def _year(record: Mapping[str, Any], key: str) -> Optional[int]:
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2100:
        raise RecordError(f"'{key}' must be a year such as 2021")
    return value


def _join(parts: Sequence[str]) -> str:
    return "\n".join(p for p in parts if p)


def challenge_document(record: Mapping[str, Any]) -> Document:
    """Builds a challenge document from {"id", "title", "description", "requirements"?, "tags"?,
    "language"?, "field"?, "sponsor"?}; unknown keys are ignored."""
    title = _text(record, "title", required=True)
    description = _text(record, "description", required=True)
    tags = _terms(record, "tags")
    text = _join([title, description, _text(record, "requirements"), ", ".join(tags)])
    field_ = record.get("field")
    if field_ is not None and not isinstance(field_, str):
        raise RecordError("'field' must be a string")
    return Document(
        id=_id(record),
        kind="challenge",
        title=title,
        text=text,
        language=_language(record, text),
        fields=(field_,) if field_ else (),
        metadata={"sponsor": record.get("sponsor"), "tags": tags},
    )


def startup_document(record: Mapping[str, Any]) -> Document:
    """Builds a startup document from {"id", "name", "summary"?, "description", "technologies"?,
    "language"?, "stage"?, "founded"?, "fields"?}; unknown keys are ignored."""
    name = _text(record, "name", required=True)
    summary = _text(record, "summary")
    description = _text(record, "description", required=True)
    technologies = _terms(record, "technologies")
    text = _join([summary, description, ", ".join(technologies)])
    fields = record.get("fields") or []
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise RecordError("'fields' must be a list of strings")
    stage = record.get("stage")
    if stage is not None and not isinstance(stage, str):
        raise RecordError("'stage' must be a string")
    return Document(
        id=_id(record),
        kind="startup",
        title=name,
        text=text,
        language=_language(record, text),
        fields=tuple(fields),
        metadata={
            "stage": stage.strip().lower().replace("-", "_") if stage else None,
            "founded": _year(record, "founded"),
            "technologies": technologies,
        },
    )
