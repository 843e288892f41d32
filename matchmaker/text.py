"""Text handling for Korean, English and mixed documents: normalising, language, sentences, passages, terms."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

_HANGUL_WORD = re.compile(r"[\uac00-\ud7a3]")
_LATIN_WORD = re.compile(r"[A-Za-z]")
_WORD = re.compile(r"[\w][\w+#.\-]*[\w+#]|[\w]", re.UNICODE)
# A sentence ends at . ! ? (and their full-width forms) followed by a space or the end,
# or at a line break. A period inside "3.5" or "e.g.x" does not end one.
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|\n+")
_BULLET = re.compile(r"^\s*(?:[-*•·▪◦]|\d+[.)])\s+")


_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
# Anything the two substitutions would change: most texts reaching here are clean already.
_UNTIDY = re.compile(r"[\t\u00a0\u3000]|  |\n\s*\n")


def normalize(text: str) -> str:
    """Returns the text in NFC with unified line endings and collapsed runs of spaces."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if _UNTIDY.search(text):
        text = _BLANK_LINES.sub("\n", _SPACES.sub(" ", text))
    return text.strip()


def content_hash(text: str) -> str:
    """Returns the SHA-256 hex digest of the NFC-normalised text (the embedding cache key)."""
    return hashlib.sha256(normalize(text).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LanguageMix:
    """How much of a text is Korean and how much English, by words.

    ko + en == 1 for any text with letters; a word counts as Korean when it has a Hangul
    syllable, as English when it has Latin letters and no Hangul. Numbers are ignored.
    """

    ko: float
    en: float

    @property
    def label(self) -> str:
        """Returns 'ko', 'en' or 'mixed' (each side under 65% of the words)."""
        if self.ko >= 0.65:
            return "ko"
        if self.en >= 0.65:
            return "en"
        return "mixed"


@lru_cache(maxsize=1 << 18)
def _word_language(word: str) -> int:
    # Words repeat across thousands of documents: each distinct word is classified once.
    if _HANGUL_WORD.search(word):
        return 1
    if _LATIN_WORD.search(word):
        return 2
    return 0


def language_mix(text: str) -> LanguageMix:
    """Measures the Korean and English share of a text's words."""
    kinds = Counter(map(_word_language, text.split()))
    ko, en = kinds[1], kinds[2]
    total = ko + en
    if total == 0:
        return LanguageMix(ko=0.0, en=1.0)
    return LanguageMix(ko=ko / total, en=en / total)


def detect_language(text: str) -> str:
    """Returns 'ko', 'en' or 'mixed' for the text."""
    return language_mix(text).label


def split_sentences(text: str) -> list[str]:
    """Splits a text into sentences and list items, dropping bullets and empty pieces."""
    sentences = []
    for piece in _SENTENCE_END.split(normalize(text)):
        piece = _BULLET.sub("", piece).strip()
        if len(piece) >= 2:
            sentences.append(piece)
    return sentences


def _chunk_long(sentence: str, max_chars: int) -> list[str]:
    # A run-on sentence longer than a passage is cut at spaces near the limit.
    parts, rest = [], sentence
    while len(rest) > max_chars:
        cut = rest.rfind(" ", 0, max_chars)
        cut = cut if cut > max_chars // 2 else max_chars
        parts.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest:
        parts.append(rest)
    return parts


def passages(text: str, max_chars: int) -> list[str]:
    """Packs consecutive sentences into passages of at most max_chars characters.

    Models read only the first few hundred tokens of an input; splitting keeps the end of
    a long profile visible. Every sentence lands in exactly one passage, in order.
    """
    out: list[str] = []
    current = ""
    for sentence in split_sentences(text):
        for part in _chunk_long(sentence, max_chars):
            if current and len(current) + 1 + len(part) > max_chars:
                out.append(current)
                current = part
            else:
                current = f"{current} {part}" if current else part
    if current:
        out.append(current)
    return out or [normalize(text)]


# Korean particles and endings stripped from the end of a word to find its stem, longest first.
_KO_SUFFIXES = sorted(
    """을 를 이 가 은 는 의 에 에서 에게 으로 로 와 과 도 만 까지 부터 보다 처럼 이나 나 이며 며 이고 고
    하는 하고 하며 하여 해서 한 할 함 합니다 입니다 있는 있습니다 됩니다 되는 된 된다 한다 하다 했다 에는 에도 으로는 로는
    과의 와의 들 들을 들이 들의 적 적인 적으로""".split(),
    key=len,
    reverse=True,
)

_EN_STOPWORDS = frozenset(
    """a an and are as at be been but by can could do does for from has have how i if in into is it its
    may more most must no not of on or our out over per should so such than that the their them then there
    these they this those through to under up use used using via was we were what when where which while who
    will with within without would you your also all any each other only own same very just about after
    before both can't etc e.g i.e new based need needs must-have""".split()
)
_KO_STOPWORDS = frozenset(
    """및 등 수 것 위한 위해 통해 대한 있는 있습니다 합니다 기반 기반의 가능한 필요 필요합니다 경우 또는 그리고 하는 통한 대해
    저희 우리 우리는 현재 기존 다양한 관련 제공 제공합니다 개발 개발합니다""".split()
)


# The shortest stem of two or more characters followed by one of the suffixes, so the
# longest suffix is the one removed ("모델을" -> "모델", "NPU에서" -> "npu").
_KO_SUFFIX = re.compile(r"^(.{2,}?)(?:" + "|".join(map(re.escape, _KO_SUFFIXES)) + r")$")


def _stem(word: str) -> str:
    word = word.lower()
    if _HANGUL_WORD.search(word):
        match = _KO_SUFFIX.match(word)
        if match:
            return match.group(1)
    return word


@lru_cache(maxsize=1 << 18)
def _term(word: str) -> Optional[str]:
    # The content word a raw word stands for, or None; each distinct word is worked out once.
    word = word.strip(".-")
    if not word or word.isdigit():
        return None
    stem = _stem(word)
    if len(stem) < 2 or stem in _EN_STOPWORDS or stem in _KO_STOPWORDS:
        return None
    return stem


def terms(text: str) -> list[str]:
    """Returns the content words of a text, in order: lower-cased English, Korean stems without particles."""
    return [t for t in map(_term, _WORD.findall(normalize(text))) if t is not None]
