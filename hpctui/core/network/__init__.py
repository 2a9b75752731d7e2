"""The network between login node and compute nodes.

Owns: the login node's interfaces (``facts``), the scheduler's listen and contact addresses
(``address``), TLS with temporary certificates (``security``), the dashboard's ``ssh -L``
command (``tunnel``), and the connectivity probe: its batch job (``probe_job``), running it
(``probe_run``), watching its job in the queue (``probe_jobstate``) and its verdict
(``probe_verdict``). The script the probe runs on the node is ``hpctui/on_node/netprobe.py``.
"""
