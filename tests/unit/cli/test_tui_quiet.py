"""Nothing distributed, tornado or asyncio log or warn reaches the terminal around the TUI:
not while the app runs (its screen), not while its session closes after it (the shell, or
`hpctui serve`'s output, which is the app's stderr). `run_tui` runs in a fresh interpreter
(pytest's own capture of warnings and streams would hide what a user sees) with a stand-in
app that makes the libraries speak from threads, the way the scheduler's loop does."""

from __future__ import annotations

import os
import subprocess
import sys

DRIVER = r'''
import logging, threading, warnings
import hpctui.ui.app
from hpctui.cli.main import main


def speak(where):
    def noisy():
        warnings.warn(f"Port 8787 is already in use ({where})", UserWarning)
        logging.getLogger("distributed.scheduler").warning("unresponsive (%s)", where)
        try:
            raise RuntimeError("Command exited with non-zero exit code.")
        except RuntimeError:
            logging.getLogger("tornado.application").error("Exception in callback",
                                                           exc_info=True)
        logging.getLogger("asyncio").error("Task exception was never retrieved")

    thread = threading.Thread(target=noisy)
    thread.start()
    thread.join()


class NoisyApp:
    def __init__(self, context):
        self.return_code = 0

    def run(self):
        # As in the real app: dask-jobqueue (so distributed, and its stderr handlers) is first
        # imported once the app runs, from a worker thread.
        from hpctui.core.batch.djq import ensure_imported

        thread = threading.Thread(target=ensure_imported)
        thread.start()
        thread.join()
        speak("on screen")

    def shutdown(self):
        speak("closing")
        return True


hpctui.ui.app.HpcTuiApp = NoisyApp
code = main(["--scheduler", "local"])
print("exit", code, "handlers back:", bool(logging.getLogger("distributed").handlers))
'''


def test_library_output_never_reaches_the_terminal(tmp_path):
    # The web driver's variable is how `hpctui serve` runs the app: no TTY needed.
    env = {**os.environ, "TEXTUAL_DRIVER": "textual_serve.web_driver:WebDriver"}
    out = subprocess.run([sys.executable, "-c", DRIVER], capture_output=True, text=True,
                         timeout=120, env=env, cwd=tmp_path)
    assert out.stderr == "", out.stderr
    # Afterwards distributed's own handlers are back where it put them.
    assert out.stdout == "exit 0 handlers back: True\n", out.stdout
