"""The job script: what dask-jobqueue will submit for a profile, and its header lines.

Owns: rendering through dask-jobqueue itself (``render``), the header as the editor lists it
(``header_view``) and the edits on it (``header_ops``), skip entries chosen to stay true
(``skip_entry``) and checked on every render (``skip_check``), importing a script known to work
(``known_good``), a refused submission and the lines it points at (``rejection``), and
dask-jobqueue's submit errors turned back into fields (``submit_errors``).

Public face: ``render.render_job_script``, ``header_ops`` operations, ``rejection.Rejection``.
"""
