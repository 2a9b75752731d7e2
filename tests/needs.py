"""`need(condition, why)`: skip a test whose precondition this machine lacks, but fail under
CI=true, where every precondition is installed and a silent skip would hide a lost test."""

from __future__ import annotations

import os

import pytest


def need(condition: bool, why: str) -> None:
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{why} (CI=true: this test must run)")
    pytest.skip(f"{why} (not under CI)")
