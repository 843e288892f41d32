"""The embedding cache: vectors keyed by (model id, content hash), so unchanged text is never embedded twice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Optional, Protocol, Sequence

import numpy as np

from matchmaker.encoders import Encoder
from matchmaker.text import content_hash


class EmbeddingCache(Protocol):
    """Where vectors are kept between calls. Implementations: MemoryCache here; a database-backed one in rounds."""

    def get_many(self, model_id: str, hashes: Sequence[str]) -> Mapping[str, np.ndarray]:
        """Returns the vectors found for these content hashes (missing ones are simply absent)."""

    def put_many(self, model_id: str, vectors: Mapping[str, np.ndarray]) -> None:
        """Stores vectors by content hash."""


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


class MemoryCache:
    """A process-local cache; keeps every vector it is given."""

    def __init__(self) -> None:
        self._store: dict[tuple[str, str], np.ndarray] = {}

    def get_many(self, model_id: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found = {}
        for h in hashes:
            vector = self._store.get((model_id, h))
            if vector is not None:
                found[h] = vector
        return found

    def put_many(self, model_id: str, vectors: Mapping[str, np.ndarray]) -> None:
        for h, vector in vectors.items():
            self._store[(model_id, h)] = np.asarray(vector, dtype=np.float32)

    def __len__(self) -> int:
        return len(self._store)


def embed_texts(
    encoder: Encoder,
    texts: Sequence[str],
    *,
    cache: Optional[EmbeddingCache] = None,
    stats: Optional[CacheStats] = None,
    progress: Optional[Callable[[int], None]] = None,
    batch_size: int = 256,
) -> np.ndarray:
    """Embeds texts through the cache: (len(texts), encoder.dim) float32, unit rows.

    Each distinct text is looked up once; only the misses are encoded, in batches, and
    then stored. `progress(n)` is called with the number of texts just encoded.
    """
    hashes = [content_hash(t) for t in texts]
    unique: dict[str, str] = {}
    for h, t in zip(hashes, texts):
        unique.setdefault(h, t)
    found = dict(cache.get_many(encoder.model_id, list(unique))) if cache is not None else {}
    missing = [h for h in unique if h not in found]
    if stats is not None:
        stats.hits += len(unique) - len(missing)
        stats.misses += len(missing)
    for start in range(0, len(missing), batch_size):
        batch = missing[start : start + batch_size]
        vectors = encoder.encode([unique[h] for h in batch])
        new = dict(zip(batch, vectors))
        found.update(new)
        if cache is not None:
            cache.put_many(encoder.model_id, new)
        if progress is not None:
            progress(len(batch))
    if not hashes:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    # Stacking what was found needs no model: an all-cached call never loads one.
    return np.stack([found[h] for h in hashes]).astype(np.float32, copy=False)
