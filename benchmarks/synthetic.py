"""Synthetic documents and indexes for speed benchmarks: real sentences recombined, random clustered vectors.

Vectors are random (seeded) because a scorer's cost does not depend on their values;
texts are recombined from the labelled sets so the lexical model sees realistic text.
"""

from __future__ import annotations

import numpy as np

from benchmarks.labelled import load
from matchmaker.documents import Document
from matchmaker.encoders import unit_rows
from matchmaker.scoring import EngineConfig, SideIndex, count_terms
from matchmaker.text import split_sentences

USE_DIM, MINILM_DIM = 512, 384


def _sentence_pool() -> list[str]:
    pool = []
    for name in ("quality", "calibration"):
        labelled = load(name)
        for doc in labelled.challenges + labelled.startups:
            pool.extend(split_sentences(doc.text))
    return pool


def synthetic_documents(n: int, *, kind: str, seed: int, sentences: tuple[int, int] = (3, 9)) -> list[Document]:
    """Makes n documents of `kind` from 3-8 random real sentences each."""
    rng = np.random.default_rng(seed)
    pool = _sentence_pool()
    docs = []
    for i in range(n):
        picked = rng.choice(len(pool), size=rng.integers(*sentences), replace=False)
        text = " ".join(pool[j] for j in picked)
        docs.append(Document(id=f"{kind[0]}{i}", kind=kind, title=f"{kind} {i}", text=text, language="mixed"))
    return docs


def synthetic_index(docs: list[Document], *, seed: int, clusters: int = 40) -> SideIndex:
    """Builds a SideIndex with random vectors clustered around a few topics, 1-3 passages per document."""
    rng = np.random.default_rng(seed)
    n = len(docs)
    centres_use = unit_rows(rng.standard_normal((clusters, USE_DIM)))
    centres_minilm = unit_rows(rng.standard_normal((clusters, MINILM_DIM)))
    topic = rng.integers(0, clusters, size=n)
    counts = rng.integers(1, 4, size=n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    owner = np.repeat(np.arange(n), counts)
    use_passages = unit_rows(centres_use[topic[owner]] + 0.9 * rng.standard_normal((offsets[-1], USE_DIM)) / np.sqrt(USE_DIM) * 8)
    use_doc = unit_rows(np.add.reduceat(use_passages, offsets[:-1], axis=0))
    minilm_doc = unit_rows(centres_minilm[topic] + rng.standard_normal((n, MINILM_DIM)) / np.sqrt(MINILM_DIM) * 8)
    mix = np.array([[d.mix.ko, d.mix.en] for d in docs], dtype=np.float32)
    return SideIndex(docs, mix, use_doc, use_passages.astype(np.float32), offsets, minilm_doc,
                     count_terms(docs, EngineConfig()))
