"""Shared test fixtures: the real batch systems, and isolation from the developer's own config.

Tests marked `testbed` need the real SLURM testbed (`tests/testbed/start`); tests that take the
`gridengine` fixture need the Grid Engine one (`tests/testbed/start --gridengine`); tests that
take `batch` run once on each (`tests/batch_systems.py`). When a testbed is down its tests skip
on a developer's machine, but fail under CI=true: a green CI must mean they ran.
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
    """What `tests/testbed/status [--gridengine]` reports about a running testbed."""

    host_ib0: str  # the login node's address on ib0: the one the compute node can reach
    compute_ib0: str  # the compute node's address
    default_addr: str  # the host's default-route address: routable but silent from the node
    node: str  # the compute node's name (SLURM node, Grid Engine execution host)
    partition: str  # the SLURM partition, or the Grid Engine queue, jobs go to
    netns: str  # name of the compute node's network namespace
    state_dir: str  # where the testbed keeps state and daemon logs
    nft_table: str  # the testbed's own nftables table (inet family)
    kind: str = "slurm"  # hpctui's name of the batch system: "slurm" or "sge"
    pe: str = ""  # Grid Engine's parallel environment


# Which status script each kind's testbed answers to, and how to start it.
_STATUS_FLAGS = {"slurm": [], "sge": ["--gridengine"]}


def _read_testbed(kind: str = "slurm") -> Testbed | None:
    try:
        out = subprocess.run(
            ["bash", str(TESTBED_DIR / "status"), *_STATUS_FLAGS[kind]],
            capture_output=True, text=True, timeout=30,
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
            kind=facts.get("KIND", "slurm"),
            pe=facts.get("PE", ""),
        )
    except KeyError:
        return None


def require_testbed(kind: str) -> Testbed:
    """The running testbed of `kind`; skips (or fails under CI=true) when it is down."""
    tb = _read_testbed(kind)
    if tb is None:
        label, flags = ("SLURM", "") if kind == "slurm" else ("Grid Engine", " --gridengine")
        message = (f"{label} testbed is not running: start it with "
                   f"`sudo bash tests/testbed/start{flags}`")
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: testbed tests must run)")
        pytest.skip(message + " (not under CI)")
    return tb


@pytest.fixture(scope="session")
def testbed() -> Testbed:
    """The running SLURM testbed; skips (or fails under CI=true) when it is down."""
    return require_testbed("slurm")


@pytest.fixture(scope="session")
def gridengine() -> Testbed:
    """The running Grid Engine testbed; skips (or fails under CI=true) when it is down."""
    return require_testbed("sge")


@pytest.fixture(params=["slurm", "sge"])
def batch(request):
    """The test runs once on each real batch system: a `BatchSystem` (tests/batch_systems.py)."""
    from batch_systems import BatchSystem

    # Through the session-scoped fixtures: the status script runs once per system, not per test.
    return BatchSystem(request.getfixturevalue("testbed" if request.param == "slurm" else "gridengine"))


# The fixtures that stand for a real batch system.
TESTBED_FIXTURES = ("testbed", "gridengine", "batch")


# tryfirst: the xdist group must be on the items before pytest-xdist reads it (--dist loadgroup).
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # Every test marked `testbed` gets the SLURM fixture, so the skip/fail rule is in one place;
    # a test that runs on either system through `batch` asks for its own testbed instead.
    for item in items:
        names = getattr(item, "fixturenames", ())
        if item.get_closest_marker("testbed") and not set(TESTBED_FIXTURES) & set(names):
            item.fixturenames.append("testbed")
        # tests/run runs pytest-xdist workers side by side: the tests on the real batch systems
        # stay in one group, one after another on one worker, as they ran before (one compute
        # node, one queue); everything else runs beside them.
        if set(TESTBED_FIXTURES) & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group("testbed"))


@pytest.fixture(autouse=True)
def _isolated_dask_config(tmp_path_factory, monkeypatch):
    """Never read the developer's ~/.config/dask: each test gets an empty DASK_CONFIG."""
    cfg = tmp_path_factory.mktemp("dask-config")
    monkeypatch.setenv("DASK_CONFIG", str(cfg))
    monkeypatch.setenv("HPCTUI_STATE_DIR", str(tmp_path_factory.mktemp("hpctui-state")))
    yield cfg
