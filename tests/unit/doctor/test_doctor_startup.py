"""`hpctui doctor` on the local backend with worker environments that hang or crawl in start-up.

Each environment is a venv of its own, made here (hpctui does not use it): it reaches dask
through a path line in a .pth (this interpreter's site-packages), and adds one fault: a .pth
that sleeps, a .pth that blocks opening a FIFO, a sitecustomize that sleeps, a module the
environment's dask config preloads that takes 20 s to import. For each, doctor names the file
and line (or the module) and the blocking call within 10 s of the job starting, proposes no
fix, and exits 1. A normal environment connects and shows its phases with no finding.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(180)

ROOT = Path(__file__).resolve().parents[3]


def _env(tmp_path: Path, files: dict[str, str], etc: dict[str, str] | None = None) -> Path:
    root = tmp_path / "worker-env"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(root)
    site = next(root.glob("lib/python*/site-packages"))
    # dask and distributed from this interpreter's site-packages: a path line, which site
    # appends to sys.path without running that directory's own .pth files (hpctui's among them).
    (site / "00-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    for name, text in files.items():
        (site / name).write_text(text)
    for name, text in (etc or {}).items():
        (root / "etc" / "dask").mkdir(parents=True, exist_ok=True)
        (root / "etc" / "dask" / name).write_text(text)
    return root / "bin" / "python"


def _config(tmp_path: Path, python: Path, host: bool = True) -> Path:
    path = tmp_path / "dask.yaml"
    # host=False: listening on every interface (the local default is loopback only).
    listen = ", host: 127.0.0.1" if host else ", host: 0.0.0.0"
    path.write_text(f"""\
jobqueue:
  local:
    cores: 1
    memory: 1GiB
    name: doc-startup
    log-directory: {tmp_path / 'logs'}
    python: {python}
    scheduler-options: {{dashboard_address: "127.0.0.1:0"{listen}}}
    worker-extra-args: ["--dashboard-address", "127.0.0.1:0"]
""")
    return path


def _doctor(tmp_path, *args):
    out = subprocess.run([sys.executable, "-m", "hpctui", "doctor", "--scheduler", "local",
                          "--no-probe", "--json", *map(str, args)], capture_output=True,
                         text=True, timeout=170, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "Traceback" not in out.stderr, out.stderr
    return out, json.loads(out.stdout)


def _named_at(doc: dict, needle: str) -> float:
    """Seconds from the job starting to the timeline's first start-up line naming `needle`."""
    started = next(t["at"] for t in doc["timeline"] if t["what"].startswith("starting"))
    named = next(t["at"] for t in doc["timeline"]
                 if t["what"] == "start-up" and needle in t["detail"])
    return named - started


FIFO_LINE = "import os; open({fifo!r}).read()"
CASES = {
    "pth-sleep": ({"zz_slow.pth": "import time; time.sleep(3600)\n"}, None,
                  ["zz_slow.pth` line 1 (`import time; time.sleep(3600)`)",
                   "blocked in `clock_nanosleep`"]),
    "pth-fifo": ({"zz_fifo.pth": FIFO_LINE + "\n"}, None,
                 ["zz_fifo.pth` line 1 (`import os; open(", "blocked in `openat` on `{fifo}`"]),
    "sitecustomize": ({"sitecustomize.py": "import time\n\ntime.sleep(3600)  # licence check\n"},
                      None, ["sitecustomize.py` line 3 (`time.sleep(3600)  # licence check`)",
                             "blocked in `clock_nanosleep`"]),
    "slow-import": ({"slowmod.py": "import time\n\ntime.sleep(20)\n"},
                    {"preload.yaml": "distributed:\n  worker:\n    preload: [slowmod]\n"},
                    ["importing `slowmod`", "slowmod.py` line 3", "blocked in `clock_nanosleep`"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_start_up_hang_is_named_with_no_fix_and_exit_1(tmp_path, case):
    files, etc, expected = CASES[case]
    fifo = tmp_path / "licence.fifo"
    os.mkfifo(fifo)
    files = {name: text.format(fifo=str(fifo)) for name, text in files.items()}
    python = _env(tmp_path, files, etc)
    out, doc = _doctor(tmp_path, "--config", _config(tmp_path, python), "--sample",
                       "--timeout", 40)
    assert out.returncode == 1, out.stdout[-3000:] + out.stderr
    [finding] = doc["findings"]
    assert finding["rule_id"] == "startup-stuck" and finding["mode"] == 24
    text = finding["explanation"]
    for needle in expected:
        assert needle.format(fifo=fifo) in text, text
    # No guess: nothing to change, nothing changed.
    assert finding["fix"]["ops"] == [] and finding["fix"]["action"] is None
    assert doc["changes"] == [] and len(doc["rounds"]) == 1
    assert _named_at(doc, expected[0].format(fifo=fifo)) <= 10.0
    assert doc["rounds"][0]["left_in_queue"] == []


def test_a_normal_environment_shows_its_phases_and_no_finding(tmp_path):
    python = _env(tmp_path, {})
    out, doc = _doctor(tmp_path, "--config", _config(tmp_path, python), "--sample",
                       "--timeout", 60)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr
    assert doc["findings"] == []
    startup = doc["rounds"][0]["sampler"]["startup"]
    main = next(p for p in startup if "(main process)" in p["process"])
    names = [ph["name"] for ph in main["phases"]]
    assert names[:2] == ["interpreter + site", "imports"] and all(
        ph["finished"] for ph in main["phases"])
    assert main["stuck"] is None and main["slow_imports"][0]["module"] == "distributed"


def test_an_unexplained_round_goes_to_the_observation_round_not_to_tls(tmp_path):
    # The scheduler listens on every interface without TLS: true, but not why no worker
    # connected. Round 1 (as configured) sees nothing; round 2 observes and names the .pth.
    python = _env(tmp_path, {"zz_slow.pth": "import time; time.sleep(3600)\n"})
    out, doc = _doctor(tmp_path, "--config", _config(tmp_path, python, host=False),
                       "--timeout", 90)
    assert out.returncode == 1, out.stdout[-3000:] + out.stderr
    assert doc["changes"] == []
    assert [r["sampler"]["ran"] for r in doc["rounds"]] == [False, True]
    # Round 1 did not wait for its 90 s: silent logs ended it, saying only what was seen.
    first = doc["rounds"][0]
    assert first["ended"].startswith("silent, observing the start-up next: job "), first["ended"]
    assert "no worker connected" in first["ended"] and first["duration"] < 45, first
    named = next(t["at"] for t in doc["timeline"]
                 if t["what"] == "start-up" and "zz_slow.pth" in t["detail"])
    assert named < 60, doc["timeline"]
    rule_ids = [f["rule_id"] for f in doc["findings"]]
    assert "startup-stuck" in rule_ids
    assert "zz_slow.pth" in doc["rounds"][1]["ended"]
    assert any("without TLS" in n or "TLS" in n for n in doc["notes"])
