"""One thread for the process's numeric work: every llama.cpp call and every torch forward pass.

llama.cpp (ggml) and torch both use OpenMP, from the same libgomp (the wheels share its soname, so
the process loads one copy). Each thread that starts parallel work gets its own pool of OpenMP
threads, and once the process holds more of them than it has cores, libgomp stops spinning at
barriers: every llama.cpp decode step then sleeps and wakes its threads. Measured on 2 cores:
drafting fell from 75 to 27 tokens/s, for the rest of the process, after one batch of embeddings
or one call into a second model from another thread. Running both here keeps one pool."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

_local = threading.local()


def _mark_compute_thread() -> None:
    _local.is_compute = True


COMPUTE_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="compute", initializer=_mark_compute_thread)


def is_compute_thread() -> bool:
    return getattr(_local, "is_compute", False)


def on_compute_thread(fn, *args, **kwargs):
    """fn(*args, **kwargs) on the compute thread (inline when already on it), returning its result."""
    if is_compute_thread():
        return fn(*args, **kwargs)
    return COMPUTE_THREAD.submit(fn, *args, **kwargs).result()
