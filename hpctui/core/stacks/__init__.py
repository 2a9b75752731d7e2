"""Main-thread stack samples of workers: from sample files and live, and what they show.

Owns: reading the sampler's files (``samples``), polling a directory of them (``poll``), live
samples over Dask's RPC (``live``) kept over a window (``live_window``), known hang sites and
their fixes (``hangsites``), and wiring the sampler into a profile's worker command
(``sampler_wiring``, ``sampler_toggle``). The sampler itself is ``hpctui/on_node/sampler.py``.
"""
