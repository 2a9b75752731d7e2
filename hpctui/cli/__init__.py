"""The ``hpctui`` command line: the TUI by default, and its subcommands.

``main.main`` is the entry point; ``subcommands`` registers ``script``, ``serve`` and
``doctor`` (each a module here); ``errors`` holds what every subcommand may raise;
``launch`` builds the launch context. Nothing here imports back into ``main``.
"""
