"""One thread for the numeric libraries while a single query is scored.

Embedding one edited profile is a few small matrix products. With two cores, PyTorch's
OpenMP threads and the OpenBLAS threads NumPy left spinning after the multilingual encoder
(a NumPy forward pass) compete for both cores: the English model then took 35-110 ms for one
passage instead of 22 ms on one thread. Large batch work (rounds) keeps every thread.

Both thread counts are process-wide, so overlapping users share one limit, set by the first
and restored by the last.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator

_lock = threading.Lock()
_users = 0
_blas = None
_torch_threads = 0


@lru_cache(maxsize=1)
def _controller():
    # Finding the loaded libraries scans the process's memory map: once, not per query.
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextmanager
def single_threaded() -> Iterator[None]:
    """Runs the block with BLAS and PyTorch at one thread; nested and concurrent uses are fine."""
    global _users, _blas, _torch_threads
    import torch

    controller = _controller()
    with _lock:
        if _users == 0:
            _blas = controller.limit(limits=1, user_api="blas")
            # PyTorch keeps its own intra-op thread count beside OpenMP's.
            _torch_threads = torch.get_num_threads()
            torch.set_num_threads(1)
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                if _blas is not None:
                    _blas.restore_original_limits()
                    _blas = None
                torch.set_num_threads(_torch_threads)
