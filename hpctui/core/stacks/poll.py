"""Polling a directory of stack sample files: one incremental reader per file, a summary per process.

The stacks pane calls `StacksWatcher.poll()` about once a second from a worker thread (it reads
files, so never on the UI's message pump). Each file keeps its `SampleFileReader`, so a poll
reads only the bytes appended since the last one. No Textual here.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from hpctui.core.stacks import hangsites
from hpctui.core.stacks.mounts import Mount
from hpctui.core.diagnosis.signals import StackReport
from hpctui.core.stacks.samples import (SampleFile, SampleFileReader, StacksSummary, sample_files,
                                        summarize)


class StacksWatcher:
    """Summaries of every ``*.stacks`` file in `directory`, keyed by the process's label."""

    def __init__(self, directory: str | os.PathLike, window: float = 30.0,
                 stuck_after: float = 5.0) -> None:
        if window <= 0:
            raise ValueError(f"window: must be > 0 seconds, got {window!r}")
        self.directory = Path(directory)
        self.window = window
        self.stuck_after = stuck_after
        self._readers: dict[Path, SampleFileReader] = {}

    def poll(self, now: float | None = None) -> dict[str, StacksSummary]:
        """Read what was appended since the last poll; a summary for each process with samples.

        `now` (unix time) extends "stuck" to the present for processes still running; None
        judges by the last sample only (what tests of recorded files want).
        """
        found: dict[str, StacksSummary] = {}
        for path in sample_files(self.directory):
            reader = self._readers.get(path)
            if reader is None:
                reader = self._readers[path] = SampleFileReader(path)
            reader.update()
            file = reader.file
            if not file.samples:
                continue
            label = file.label if file.host else path.name
            found[label] = summarize(file, self.window, self.stuck_after, now)
        return found


    def files(self) -> list[SampleFile]:
        """The sample files read so far (the start-up view joins them to the watcher's)."""
        return [r.file for r in self._readers.values()]


def stack_reports(by_worker: dict[str, StacksSummary],
                  mount_of: Callable[[str, str], Mount | None] | None = None
                  ) -> list[StackReport]:
    """The sampler's findings for every process, as `Signals.stacks` takes them, so the same
    hang sites reach `diagnose()` and the findings pane. `mount_of(host, path)`, when the
    start-up watcher recorded the nodes' mount tables, names the filesystem of slow imports."""
    def on(host: str):
        return None if mount_of is None else (lambda path: mount_of(host, path))

    return [StackReport(label, finding)
            for label, summary in sorted(by_worker.items())
            for finding in hangsites.diagnose(summary, mount_of=on(summary.file.host))]
