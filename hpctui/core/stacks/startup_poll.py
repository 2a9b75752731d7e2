"""Polling a directory of start-up watcher records, joined with the sampler's files there.

The stacks pane (in a worker thread, about once a second) and doctor's observation round both
call `StartupWatcher.poll(sample_files)`: each record file keeps its incremental reader, so a
poll reads only what the watchers appended. A process seen only by the watcher (stuck before
the sampler could start: in `site`, a `.pth` line) gets a `placeholder_summary` so lists that
show sampled processes show it too. No Textual here.
"""

from __future__ import annotations

import os
from pathlib import Path

from hpctui.core.stacks.mounts import Mount
from hpctui.core.stacks.samples import SampleFile, StacksSummary
from hpctui.core.stacks.startup_records import StartupFileReader, startup_files
from hpctui.core.stacks.startup_view import StartupProcess, startup_processes


class StartupWatcher:
    """Every watched worker process in `directory`, by label (as the sampler labels them)."""

    def __init__(self, directory: str | os.PathLike, since: float = 0.0) -> None:
        self.directory = Path(directory)
        self.since = since  # records of watchers started before this (unix time) are ignored
        self._readers: dict[Path, StartupFileReader] = {}

    def poll(self, samples: list[SampleFile]) -> dict[str, StartupProcess]:
        """Read what was appended; each process's start-up, joined with its sample file."""
        by_pid = {(f.host, f.pid): f for f in samples}
        found: dict[str, StartupProcess] = {}
        for path in startup_files(self.directory):
            reader = self._readers.get(path)
            if reader is None:
                reader = self._readers[path] = StartupFileReader(path)
            try:
                reader.update()
            except OSError:  # vanished mid-read: the next poll tries again
                continue
            if reader.file.exec_time and reader.file.exec_time >= self.since:
                for p in startup_processes(reader.file, by_pid):
                    found[p.label] = p
        return found


    def mount_of(self, host: str, path: str) -> Mount | None:
        """The mount holding `path` on `host`, from a watcher's record there (None: no record
        of that node yet)."""
        for reader in self._readers.values():
            if reader.file.host == host and reader.file.mounts:
                return reader.file.mount_of(path)
        return None


def placeholder_summary(p: StartupProcess, directory: str | os.PathLike) -> StacksSummary:
    """An empty `StacksSummary` for a process the sampler never saw (no Python frames yet)."""
    file = SampleFile(Path(directory) / f"{p.host}-{p.pid}.stacks", host=p.host, pid=p.pid,
                      started=p.started, ended=p.ended)
    return StacksSummary(file=file, current=None, hot=[], stuck=None, import_share=0.0,
                         window_seconds=0.0)
