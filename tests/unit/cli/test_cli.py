"""The `hpctui` command: --help, --version, and one-line errors with exit code 2."""

import subprocess
import sys

import pytest

from hpctui import __version__
from hpctui.cli.main import main


def _run(*args, stdin=subprocess.DEVNULL):
    return subprocess.run(
        [sys.executable, "-m", "hpctui", *args], capture_output=True, text=True,
        stdin=stdin, timeout=60,
    )


def test_version():
    out = _run("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"hpctui {__version__}"


def test_help_lists_options():
    out = _run("--help")
    assert out.returncode == 0
    assert "--scheduler" in out.stdout and "--config" in out.stdout


def _one_line_error(out, *needles):
    assert out.returncode == 2, out
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got: {out.stderr!r}"
    assert lines[0].startswith("hpctui: error:")
    assert "Traceback" not in out.stderr
    for needle in needles:
        assert needle in lines[0]


def test_unknown_scheduler_is_one_line():
    _one_line_error(_run("--scheduler", "slrum"), "slrum", "slurm")


def test_unknown_option_is_one_line():
    _one_line_error(_run("--frobnicate"), "--frobnicate")


def test_missing_config_is_one_line(tmp_path):
    missing = tmp_path / "nope.yaml"
    _one_line_error(_run("--config", str(missing)), str(missing), "does not exist")


def test_config_directory_is_one_line(tmp_path):
    _one_line_error(_run("--config", str(tmp_path)), str(tmp_path), "directory")


def test_no_tty_is_one_line():
    _one_line_error(_run("--scheduler", "local"), "terminal")


def test_main_returns_exit_code_in_process(capsys):
    assert main(["--scheduler", "nope"]) == 2
    assert "nope" in capsys.readouterr().err


def test_scheduler_before_subcommand_is_kept(tmp_path):
    # argparse would let the subcommand's own --scheduler default reset it to None.
    config = tmp_path / "c.yaml"
    config.write_text("jobqueue:\n  pbs:\n    cores: 2\n    memory: 4GB\n")
    out = _run("--scheduler", "pbs", "--config", str(config), "script")
    assert out.returncode == 0, out.stderr
    assert "#PBS" in out.stdout


def test_help_lists_subcommands():
    assert "script" in _run("--help").stdout


def test_local_backend_has_defaults_so_it_runs_with_no_config(tmp_path):
    # `pip install . && hpctui` on a laptop: no config file at all, and still a job script.
    out = subprocess.run(
        [sys.executable, "-m", "hpctui", "--scheduler", "local", "script"], capture_output=True,
        text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DASK_CONFIG": str(tmp_path)},
    )
    assert out.returncode == 0, out.stderr
    assert "--nthreads 1 --memory-limit 2.00GiB" in out.stdout
