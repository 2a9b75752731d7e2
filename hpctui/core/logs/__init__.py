"""Worker logs: read from the end, followed live, buffered, and classified.

Owns: opening a file of any size at its end (``tail``), following hundreds of files from one
thread (``follow``: the ``LogFollower``; ``lines``: what it delivers; ``reading``: one file's
new bytes turned into lines), the bounded in-memory buffer with search (``buffer``), each
line's level and failure sign (``marks``) and the in-memory logs of connected workers
(``workerlogs``).
"""
