"""Lets `python -m hpctui` work like the `hpctui` command."""

from hpctui.cli import main

raise SystemExit(main())
