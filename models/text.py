"""Text hygiene for everything users type: NFC, no stray control characters, lengths in characters."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

# C0 and C1 control characters other than tab and newline; DEL too. They are
# invisible, break CSV/XLSX exports and terminals, and no one types them on purpose.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidirectional overrides and isolates can make a text display differently from
# what it says (a "Trojan source" trick); right-to-left letters themselves are fine.
_BIDI_CONTROL = re.compile(r"[\u202a-\u202e\u2066-\u2069]")


def nfc(value: object) -> object:
    """Normalises a string to NFC and unifies line endings; leaves other values for the type check."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    return value


def _check_multi_line(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("contains control characters")
    if _BIDI_CONTROL.search(value):
        raise ValueError("contains bidirectional override characters")
    return value.strip()


def _check_single_line(value: str) -> str:
    value = _check_multi_line(value)
    if "\n" in value or "\t" in value:
        raise ValueError("must be a single line")
    return value


TERM_MAX_CHARS = 60


def _clean_terms(values: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        term = _check_single_line(str(nfc(value)))
        if len(term) > TERM_MAX_CHARS:
            raise ValueError(f"each term must be at most {TERM_MAX_CHARS} characters: {term[:20]}…")
        if term and term.casefold() not in seen:
            seen[term.casefold()] = term
    return list(seen.values())


# A line of text (names, titles, e-mail addresses): NFC, trimmed, no line breaks.
Line = Annotated[str, BeforeValidator(nfc), AfterValidator(_check_single_line)]
# Free text that may span lines (descriptions, requirements): NFC, trimmed.
Paragraphs = Annotated[str, BeforeValidator(nfc), AfterValidator(_check_multi_line)]
# A list of short terms (tags, technologies): each NFC and trimmed, blanks and repeats dropped.
Terms = Annotated[list[str], AfterValidator(_clean_terms)]


def _check_web_address(value: str) -> str:
    value = _check_single_line(value)
    if not value:
        return value
    lowered = value.lower()
    if not (lowered.startswith("https://") or lowered.startswith("http://")) or " " in value or len(value) < 11:
        # Shown to others as a link: javascript: or data: addresses would run in their browser.
        raise ValueError("must be a web address starting with https:// or http://")
    return value


# A web address shown to others as a link: http(s) only.
WebAddress = Annotated[str, BeforeValidator(nfc), AfterValidator(_check_web_address)]
