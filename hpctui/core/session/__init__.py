"""The running cluster and the editing state around it.

Owns: ``ClusterSession`` (``cluster``: a dask-jobqueue cluster run from a background loop,
``loop``: that loop and its queue of operations, ``watchers``: what feeds it from outside, the
queue poller, log following, worker joins and leaves), the events it publishes (``events``) and
their delivery (``eventbus``), the scheduler plugin that reports joins and leaves
(``scheduler_plugin``), the ``Workspace`` of applied and pending profiles (``workspace``, and
``workspace_views``: what it hands the UI), the launch context (``context``) and keeping GC
pauses short in a long-running process (``gcfreeze``). With ``scheduler-placement: job``
(``placement``) the scheduler runs in a batch job (``scheduler_job``, ``job_cluster``,
``job_placement``), recorded per profile (``state``) so hpctui can reattach (``attach``);
live samples go through either scheduler (``live_sampling``).
"""
