"""LibraryCapture: distributed's, tornado's and asyncio's records and Python warnings become
one-line messages while it is open, reach no stream, and everything is put back afterwards."""

from __future__ import annotations

import io
import logging
import re
import sys
import threading
import warnings

import pytest

from hpctui.core.batch.djq import ensure_imported
from hpctui.core.doctor.libnotes import library_notes
from hpctui.core.session.library_output import (LibraryCapture, LibraryMessage,
                                                 adopt_new_handlers, message_from_record)

SUBMIT_ERROR = ("Command exited with non-zero exit code.\nExit code: 255\nCommand:\n"
                "bsub /tmp/tmp4874eufw.sh\nstdout:\n\nstderr:\nERROR: -n is no longer supported.\n")
# tornado's own message when a callback's future failed (as seen with a refused bsub).
TORNADO_MSG = ("Exception in callback functools.partial(<bound method IOLoop._discard_future_result"
               " of <tornado.platform.asyncio.AsyncIOMainLoop object at 0x7f98>>, <Task finished "
               "name='Task-13' coro=<SpecCluster._correct_state_internal() done, defined at "
               "/x/distributed/deploy/spec.py:352> exception=RuntimeError('Command exited')>)")


def _state(names):
    return {n: (list(logging.getLogger(n).handlers), logging.getLogger(n).propagate)
            for n in names}


def _tornado_record() -> logging.LogRecord:
    try:
        raise RuntimeError(SUBMIT_ERROR)
    except RuntimeError:
        exc_info = sys.exc_info()
    return logging.getLogger("tornado.application").makeRecord(
        "tornado.application", logging.ERROR, "/x/tornado/ioloop.py", 758, TORNADO_MSG, (),
        exc_info)


@pytest.fixture
def distributed_handlers():
    """distributed imported (its stderr handlers attached), and a stream of ours on them so
    the test sees whatever they would have printed."""
    ensure_imported()
    names = ("distributed", "distributed.client", "tornado", "tornado.application")
    stream = io.StringIO()
    spy = logging.StreamHandler(stream)
    for n in names:
        logging.getLogger(n).addHandler(spy)
    yield stream
    for n in names:
        logging.getLogger(n).removeHandler(spy)


def test_records_and_warnings_are_captured_and_everything_is_restored(distributed_handlers,
                                                                        capfd):
    names = ("distributed", "distributed.client", "distributed.scheduler", "tornado",
             "tornado.application", "asyncio", "dask_jobqueue")
    before = _state(names)
    showwarning = warnings.showwarning
    filters = list(warnings.filters)
    with LibraryCapture() as capture:
        logging.getLogger("distributed.scheduler").warning("Event loop unresponsive for %ss", 3)
        logging.getLogger("distributed.scheduler").info("Scheduler at tcp://x:1")  # below WARNING
        logging.getLogger("distributed.client").error("client error")
        logging.getLogger("tornado.application").handle(_tornado_record())
        logging.getLogger("asyncio").error("Task exception was never retrieved")

        def in_a_thread():  # distributed warns from its event loop's thread
            warnings.warn("Port 8787 is already in use.\nPerhaps you already have a cluster "
                          "running?\nHosting the HTTP server on port 40000 instead", UserWarning)

        thread = threading.Thread(target=in_a_thread)
        thread.start()
        thread.join()
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert distributed_handlers.getvalue() == ""
    assert _state(names) == before
    assert warnings.showwarning is showwarning and warnings.filters == filters
    said = [m.summary() for m in capture.messages]
    assert said[:4] == [
        "distributed.scheduler logged a warning: Event loop unresponsive for 3s",
        "distributed.client logged an error: client error",
        "tornado.application logged an error: Exception in callback "
        "SpecCluster._correct_state_internal(): RuntimeError: Command exited with non-zero "
        "exit code.",
        "asyncio logged an error: Task exception was never retrieved",
    ]
    # Attributed to where it was raised (here: this file, standing in for distributed/node.py).
    assert re.fullmatch(r"session/test_library_output\.py:\d+ warned: UserWarning: Port 8787 is "
                        r"already in use\. Perhaps you already have a cluster running\? Hosting "
                        r"the HTTP server on port 40000 instead", said[4]), said[4]
    assert len(said) == 5
    # After the capture, distributed's handlers print again, as before.
    logging.getLogger("distributed.scheduler").warning("after")
    assert "after" in distributed_handlers.getvalue()


def test_handlers_a_library_adds_meanwhile_are_set_aside_and_kept():
    stream = io.StringIO()
    late = logging.StreamHandler(stream)
    with LibraryCapture() as capture:
        # What distributed's initialize_logging does on a first import inside the capture.
        logger = logging.getLogger("distributed.latecomer")
        logger.addHandler(late)
        logger.propagate = False
        adopt_new_handlers()
        logger.warning("late warning")
    assert stream.getvalue() == ""
    assert [m.text for m in capture.messages] == ["late warning"]
    assert late in logger.handlers and logger.propagate is False
    logger.removeHandler(late)


def test_captures_nest():
    with LibraryCapture() as outer:
        with LibraryCapture() as inner:
            logging.getLogger("distributed.x").warning("inner")
        logging.getLogger("distributed.x").warning("outer")
    assert [m.text for m in inner.messages] == ["inner"]
    assert [m.text for m in outer.messages] == ["outer"]


def test_a_traceback_is_reduced_to_its_exception_line():
    m = message_from_record(_tornado_record())
    assert m.source == "tornado.application" and m.level == "ERROR"
    assert m.text == "Exception in callback SpecCluster._correct_state_internal()"
    assert m.exception == "RuntimeError: Command exited with non-zero exit code."
    assert m.origin == "tornado/ioloop.py:758"


def test_notes_group_a_message_repeated_over_rounds_and_name_the_refusal():
    port = lambda p: LibraryMessage(  # noqa: E731
        "distributed", "WARNING", f"Port 8787 is already in use. Hosting on port {p} instead",
        None, "distributed/node.py:195", "UserWarning")
    refusal = message_from_record(_tornado_record())
    notes = library_notes([(1, port(40001)), (1, refusal), (1, refusal), (2, port(40002)),
                           (2, refusal)])
    assert notes == [
        "rounds 1-2, 2 times, the first: distributed/node.py:195 warned: UserWarning: Port 8787 "
        "is already in use. Hosting on port 40001 instead",
        "rounds 1-2, 3 times, the first: tornado.application logged an error: Exception in "
        "callback SpecCluster._correct_state_internal(): RuntimeError: Command exited with "
        "non-zero exit code. (the refused submission: its output is in the timeline and the "
        "findings)",
    ]
    assert library_notes([(3, port(1))]) == [
        "round 3: distributed/node.py:195 warned: UserWarning: Port 8787 is already in use. "
        "Hosting on port 1 instead"]
