"""``hpctui doctor``: submit, watch, diagnose, fix and report, without a terminal.

Owns: the run, round after round (``run``), its timeline and report types (``types``), the
stack-sampler round (``stacks``) and rendering the report as text or JSON (``report``).
"""
