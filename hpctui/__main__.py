"""Lets `python -m hpctui` work like the `hpctui` command."""

from hpctui.cli.main import main

raise SystemExit(main())
