"""dask-jobqueue can be imported first from a worker thread (its import installs a SIGINT handler)."""

import subprocess
import sys


def test_first_import_from_a_thread_works_and_leaves_sigint_alone():
    code = (
        "import signal, threading\n"
        "before = signal.getsignal(signal.SIGINT)\n"
        "errors = []\n"
        "def work():\n"
        "    try:\n"
        "        from hpctui.core.batch.kinds import cluster_class\n"
        "        cluster_class('slurm'); cluster_class('local')\n"
        "    except Exception as exc:\n"
        "        errors.append(repr(exc))\n"
        "t = threading.Thread(target=work); t.start(); t.join()\n"
        "assert not errors, errors\n"
        "assert signal.getsignal(signal.SIGINT) is before\n"
        "assert signal.signal is signal.signal\n"
        "import signal as s2; assert s2.signal.__module__ == 'signal'\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_plain_import_from_a_thread_fails_without_it():
    # Proves the problem is real (if dask-jobqueue fixes it, this tells us the guard can go).
    code = (
        "import threading\n"
        "errors = []\n"
        "def work():\n"
        "    try:\n"
        "        import dask_jobqueue\n"
        "    except ValueError as exc:\n"
        "        errors.append(str(exc))\n"
        "t = threading.Thread(target=work); t.start(); t.join()\n"
        "print(errors)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "signal only works in main thread" in out.stdout
