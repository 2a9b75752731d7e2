"""Batch systems: which one, how to ask it things, and the jobs this session owns.

Owns: the table of kinds (``kinds``), detection from PATH (``detect``), running a queue
command with a time-out (``commands``), importing dask-jobqueue from any thread (``djq``), the
local backend (``localjob``), a job class that reports each submission (``tracked_job``),
polling the queue (``poller``), tying jobs to workers (``tracker``) and cancelling what is
left on every way out (``cleanup``).

The per-system parsers live in ``hpctui.schedulers`` (one small module per batch system).
"""
