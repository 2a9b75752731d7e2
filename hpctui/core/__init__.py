"""Core of hpctui: everything that decides or computes. Never imports Textual.

One package per part of the problem; data flows through them in this order:

    config -> jobscript -> batch -> session (queue, workers) + logs + stacks + network
           -> diagnosis -> (fix) -> config

- ``config``: Dask YAML files, the profile they make, validation, writing back.
- ``jobscript``: the script dask-jobqueue submits, its header lines, refusals of it.
- ``batch``: batch-system kinds, detection, commands, the local backend, queue, cleanup.
- ``logs``: following worker log files and in-memory worker logs; classifying lines.
- ``network``: interfaces, the scheduler's address, TLS, tunnels, the compute-node probe.
- ``stacks``: main-thread stack samples (files and live) and known hang sites.
- ``session``: the running cluster, its events, and the editing workspace.
- ``diagnosis``: signals -> findings with evidence and a fix; a fix -> an edit.
- ``doctor``: the same without a terminal, round after round, and its report.

Package ``__init__`` files import nothing (except ``diagnosis``, whose public face is its
``__init__``), so importing one module never pulls in a whole package.
"""
