"""The running cluster and the editing state around it.

Owns: ``ClusterSession`` (``cluster``: a dask-jobqueue cluster in a background loop), the
events it publishes (``events``) and their delivery (``eventbus``), the scheduler plugin that
reports joins and leaves (``scheduler_plugin``), the ``Workspace`` of applied and pending
profiles (``workspace``), the launch context (``context``) and keeping GC pauses short in a
long-running process (``gcfreeze``).
"""
