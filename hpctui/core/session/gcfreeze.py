"""Keep the garbage collector's full collections short in the long-running TUI process.

By the time the first cluster has started, hpctui has imported Textual, dask, distributed
and dask-jobqueue: hundreds of thousands of objects that live as long as the process. A full
(generation 2) collection walks every tracked object and holds the GIL meanwhile, so each one
stopped the UI thread for 50-100 ms while logs poured in (benchmarks/logs_frame_latency.py).
`gc.freeze()` moves everything alive now into a permanent generation the collector no longer
walks; objects made later are collected as usual.
"""

from __future__ import annotations

import gc

_done = False


def freeze_startup_objects() -> bool:
    """Collect once, then freeze what survives. Only the first call does anything (True)."""
    global _done
    if _done:
        return False
    _done = True
    gc.collect()
    gc.freeze()
    return True
