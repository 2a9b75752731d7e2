"""Shared test fixtures: the SLURM testbed, and isolation from the developer's own config.

Tests marked `testbed` need the real SLURM testbed (`tests/testbed/start`). When it is down
they skip on a developer's machine, but fail under CI=true: a green CI must mean they ran.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

TESTBED_DIR = Path(__file__).parent / "testbed"


@dataclass(frozen=True)
class Testbed:
    """What `tests/testbed/status` reports about the running testbed."""

    host_ib0: str  # the login node's address on ib0: the one the compute node can reach
    compute_ib0: str  # the compute node's address
    default_addr: str  # the host's default-route address: routable but silent from the node
    node: str  # SLURM node name of the compute node
    partition: str  # SLURM partition jobs go to
    netns: str  # name of the compute node's network namespace
    state_dir: str  # where the testbed keeps state and daemon logs
    nft_table: str  # the testbed's own nftables table (inet family)


def _read_testbed() -> Testbed | None:
    try:
        out = subprocess.run(
            ["bash", str(TESTBED_DIR / "status")], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    facts = dict(
        line.split("=", 1) for line in out.stdout.splitlines() if "=" in line
    )
    try:
        return Testbed(
            host_ib0=facts["HOST_IB0"],
            compute_ib0=facts["COMPUTE_IB0"],
            default_addr=facts["DEFAULT_ADDR"],
            node=facts["NODE"],
            partition=facts["PARTITION"],
            netns=facts["NETNS"],
            state_dir=facts["STATE_DIR"],
            nft_table=facts["NFT_TABLE"],
        )
    except KeyError:
        return None


@pytest.fixture(scope="session")
def testbed() -> Testbed:
    """The running SLURM testbed; skips (or fails under CI=true) when it is down."""
    tb = _read_testbed()
    if tb is None:
        message = "SLURM testbed is not running: start it with `sudo bash tests/testbed/start`"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: testbed tests must run)")
        pytest.skip(message + " (not under CI)")
    return tb


def pytest_collection_modifyitems(config, items):
    # Every test marked `testbed` gets the fixture, so the skip/fail rule is in one place.
    for item in items:
        if item.get_closest_marker("testbed") and "testbed" not in getattr(item, "fixturenames", ()):
            item.fixturenames.append("testbed")


@pytest.fixture(autouse=True)
def _isolated_dask_config(tmp_path_factory, monkeypatch):
    """Never read the developer's ~/.config/dask: each test gets an empty DASK_CONFIG."""
    cfg = tmp_path_factory.mktemp("dask-config")
    monkeypatch.setenv("DASK_CONFIG", str(cfg))
    monkeypatch.setenv("HPCTUI_STATE_DIR", str(tmp_path_factory.mktemp("hpctui-state")))
    yield cfg
