"""The editing state the app holds: the profile last applied, the pending one, and their diffs.

A `Workspace` is built from a `LoadedProfile` (what dask sees today, with provenance) and a
`ConfigTarget` (the file hpctui writes). Edits go through `hpctui.core.jobscript.header_ops` on an
undo/redo `History`; the workspace adds what the UI needs around them: the header lines with
their skipped/added state, validation problems per key, the pending change as a job-script
diff (against what was last applied) and as a config-file diff (what `write()` would change
in the target file), and the write itself. Nothing here imports Textual.

Three profiles matter: `applied` (what the running cluster was built from: the script diff's
base), `written` (what the target file holds: the config diff's base) and `pending` (the
history's current state). `write()` blocks on file I/O and is meant for a worker thread; it
snapshots `pending` when called, so edits made meanwhile stay pending.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Mapping

from hpctui.core.jobscript import header_ops
from hpctui.core.config.load import ConfigTarget, LoadedProfile, Source, load_profile
from hpctui.core.config.write import (
    ConfigChangedOnDisk, ConfigDocument, ConfigSyntaxError, ConfigWriteError,
    apply_profile, write_profile,
)
from hpctui.core.jobscript.header_ops import History, OpResult
from hpctui.core.jobscript.header_view import HeaderLine, header_lines
from hpctui.core.jobscript.render import DiffLine, ScriptError, diff_lines, render, unified_diff
from hpctui.core.config.profile import HPCTUI_DEFAULTS, Profile
from hpctui.core.config.validate import Problem, validate
from hpctui.core.session.workspace_views import (ApplyPreview, ConfigDiff, Preview, WriteOutcome,
                                                changed_keys, tilde)


def _script_text(profile: Profile) -> str:
    try:
        return render(profile).text
    except ScriptError as exc:
        return f"# dask-jobqueue cannot build the job script: {exc}\n"


class Workspace:
    """The profile being edited, its history, and the files it came from and goes to."""

    def __init__(self, loaded: LoadedProfile, target: ConfigTarget, *,
                 interfaces: list[str] | None = None,
                 loader: Callable[[], LoadedProfile] | None = None) -> None:
        self.loaded = loaded
        self.target = target
        self.interfaces = interfaces  # this host's interfaces for validation (None: ask)
        self.auto_apply = False  # True: apply without the confirmation screen
        self.last_message = ""
        self._loader = loader
        self._history = History.start(loaded.profile)
        self.applied: Profile = loaded.profile
        self.written: Profile = loaded.profile
        self._lock = threading.Lock()  # write() runs in a thread; edits on the UI thread

    @classmethod
    def from_config(cls, kind: str, config_path: str | os.PathLike | None = None, *,
                    paths: list[str] | None = None, environ: Mapping[str, str] | None = None,
                    interfaces: list[str] | None = None) -> "Workspace":
        """Load `kind` by dask's precedence and choose the target file, as hpctui starts."""
        from hpctui.core.config.load import choose_target

        def loader() -> LoadedProfile:
            return load_profile(kind, config_path, paths=paths, environ=environ)

        return cls(loader(), choose_target(kind, config_path, environ=environ),
                   interfaces=interfaces, loader=loader)

    # -- state ------------------------------------------------------------------------

    @property
    def pending(self) -> Profile:
        """The profile as edited so far."""
        return self._history.current

    @property
    def kind(self) -> str:
        return self.pending.kind

    @property
    def has_pending_change(self) -> bool:
        """True when the pending profile differs from the one last applied."""
        return self.pending != self.applied

    @property
    def has_unwritten_change(self) -> bool:
        """True when the target file doesn't hold the pending profile yet."""
        return self.pending != self.written

    @property
    def can_undo(self) -> bool:
        return self._history.can_undo

    @property
    def can_redo(self) -> bool:
        return self._history.can_redo

    def provenance(self, key: str, short: bool = False) -> str:
        """Where the value of `key` comes from today: a file, an environment variable,
        "hpctui's local defaults" or "default"; keys edited since the last write say so. `short`: the file's name
        only, `$VAR` for a variable (for narrow tables)."""
        source = self.loaded.provenance.get(key, Source("default"))
        if short and source.origin == "file":
            text = os.path.basename(source.where)
        elif short and source.origin == "env":
            text = "$" + source.where
        elif short and source.origin == "default" and source.where:
            text = "hpctui"  # local_defaults.yaml, not dask-jobqueue's
        elif self.hpctui_default(key) is not None:
            text = "default" if short else "hpctui's default"
        else:
            text = tilde(str(source))
        if self.pending.get(key) != self.written.get(key):
            text = "edited" if short else f"edited (was: {text})"
        return text

    def hpctui_default(self, key: str) -> Any:
        """The value hpctui uses for one of its own keys (`security`, `scheduler-placement`,
        ...) while the profile leaves it unset; None for a set key or any other key (whose
        default, if any, is dask-jobqueue's and already in the profile)."""
        if self.pending.get(key) is not None:
            return None
        return HPCTUI_DEFAULTS.get(key)

    def renamed_notice(self, key: str) -> str | None:
        """"renamed from job-extra (file), will be migrated" for a key set by an old name."""
        for renamed in self.loaded.renamed:
            if renamed.new == key:
                return tilde(renamed.message)
        return None

    def env_override(self, key: str) -> str | None:
        """Why a value written to the file would not take effect: a DASK_* variable sets it."""
        source = self.loaded.provenance.get(key)
        if source is None or source.origin != "env":
            return None
        return (f"{key} is set by the environment variable {source.where}, which wins over "
                f"every config file: a value written to the file takes effect only once "
                f"{source.where} is unset")

    def notes(self) -> list[str]:
        """Renamed keys, unknown keys and unreadable files, one sentence each."""
        found = [r.message for r in self.loaded.renamed] + list(self.loaded.unknown_keys)
        found += [e.message for e in self.loaded.errors]
        return [tilde(n) for n in found]

    # -- edits ------------------------------------------------------------------------

    def edit(self, op: Callable[..., OpResult], *args: Any) -> OpResult:
        """Run any profile operation (`op(profile, *args) -> OpResult`) as one undoable step."""
        return self._edit(op, *args)

    def _edit(self, op: Callable[..., OpResult], *args: Any) -> OpResult:
        with self._lock:
            before = self.pending
            result = self._history.apply(op, *args)
        if result.ok and result.profile == before:
            # OpResult.ok means "something changed": setting a key to its value doesn't.
            result = replace(result, ok=False, message=result.message + " (unchanged)")
        self.last_message = result.message
        return result

    def skip_line(self, line: str) -> OpResult:
        """Skip a generated header line (its prefix and option: the entry that drops only it)."""
        return self._edit(header_ops.skip_line, line)

    def unskip_line(self, line: str) -> OpResult:
        """Bring back a skipped header line."""
        return self._edit(header_ops.unskip_line, line)

    def toggle_line(self, line: HeaderLine) -> OpResult:
        """Skip a kept line, un-skip a skipped one, remove an added one."""
        if line.state == "skipped":
            return self.unskip_line(line.text)
        if line.state == "added" and line.extra_index is not None:
            return self.remove_directive(line.extra_index)
        return self.skip_line(line.text)

    def add_directive(self, directive: str) -> OpResult:
        """Add a directive to job-extra-directives (without the `#SBATCH ` prefix)."""
        return self._edit(header_ops.add_directive, directive)

    def edit_directive(self, index: int, directive: str) -> OpResult:
        """Replace the added directive at `index`."""
        return self._edit(header_ops.edit_directive, index, directive)

    def remove_directive(self, index: int) -> OpResult:
        """Remove the added directive at `index`."""
        return self._edit(header_ops.edit_directive, index, None)

    def set_prologue(self, lines: list[str]) -> OpResult:
        """Replace job-script-prologue (blank lines dropped)."""
        return self._edit(header_ops.set_prologue, [x for x in lines if x.strip()])

    def set_key(self, key: str, value: Any) -> OpResult:
        """Set any key (`cores`, `distributed.worker.use-file-locking`, ...)."""
        return self._edit(header_ops.set_key, key, value)

    def undo(self) -> OpResult:
        with self._lock:
            result = self._history.undo()
        self.last_message = result.message
        return result

    def redo(self) -> OpResult:
        with self._lock:
            result = self._history.redo()
        self.last_message = result.message
        return result

    # -- views of the pending profile ---------------------------------------------------

    def preview(self) -> Preview:
        """The pending job script with its header lines listed."""
        profile = self.pending
        try:
            rendered = render(profile)
        except ScriptError as exc:
            return Preview("", f"dask-jobqueue cannot build the job script: {exc}", [], [])
        return Preview(rendered.text, None, rendered.warnings,
                       header_lines(profile, rendered.header_lines),
                       self.scheduler_script(profile))

    def scheduler_script(self, profile: Profile | None = None) -> str:
        """The scheduler job's script with `scheduler-placement: job`, "" with `login`."""
        profile = profile or self.pending
        if profile.placement != "job":
            return ""
        from hpctui.core.session.scheduler_job import preview_script

        try:
            return preview_script(profile)
        except Exception as exc:  # shown where the script would be, never raised at the pane
            return f"# the scheduler job's script cannot be built: {type(exc).__name__}: {exc}\n"

    def problems(self) -> list[Problem]:
        """Validation problems of the pending profile (errors and warnings)."""
        return validate(self.pending, self.interfaces)

    def problems_for(self, key: str, profile: Profile | None = None) -> list[Problem]:
        """The problems that name `key` (e.g. "memory", "scheduler-options")."""
        found = validate(profile or self.pending, self.interfaces)
        return [p for p in found if p.key == key or p.key.startswith(key + ".")]

    def script_diff(self) -> list[DiffLine]:
        """The whole pending script, each line marked against the one last applied."""
        return diff_lines(_script_text(self.applied), _script_text(self.pending))

    def script_unified_diff(self) -> str:
        """The same change as a unified diff ("" when the scripts are the same)."""
        return unified_diff(_script_text(self.applied), _script_text(self.pending),
                            "applied", "pending")

    def config_diff(self) -> ConfigDiff:
        """What `write()` would change in the target file now (reads the file)."""
        return self._config_diff(self.pending)

    def _config_diff(self, profile: Profile) -> ConfigDiff:
        path = self.target.path
        try:
            doc = ConfigDocument.load(path)
            before = doc.original or ""
            apply_profile(doc, self.written, profile, self.loaded)
            after = doc.render()
        except ConfigWriteError as exc:
            return ConfigDiff(path, "", "", "", str(exc))
        text = "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                            f"{path} (now)", f"{path} (after write)"))
        return ConfigDiff(path, before, after, text, None)

    def apply_preview(self) -> ApplyPreview:
        """The script diff, config diff and problems, for the apply confirmation."""
        overridden = [self.env_override(k) for k in changed_keys(self.written, self.pending)]
        return ApplyPreview(self.target, self.script_diff(), self.config_diff(),
                            self.problems(), [w for w in overridden if w])

    # -- writing and applying -----------------------------------------------------------

    def write(self, profile: Profile | None = None) -> WriteOutcome:
        """Write `profile` (default: the pending one) into the target file. Blocking.

        Atomic, with `<file>.bak`, refusing if the file changed on disk since it was read
        (`changed_on_disk`: call `reload()` and apply again). Never raises for a file
        problem: the outcome says what went wrong.
        """
        profile = profile or self.pending
        path = self.target.path
        if profile == self.written and not self._migrations_pending():
            return WriteOutcome(True, path, f"{path} already holds these settings", profile)
        try:
            result = write_profile(path, self.written, profile, self.loaded)
        except ConfigChangedOnDisk as exc:
            return WriteOutcome(False, path, str(exc), profile, changed_on_disk=True)
        except (ConfigSyntaxError, ConfigWriteError) as exc:
            return WriteOutcome(False, path, str(exc), profile)
        with self._lock:
            self.written = profile
            self._after_write(path)
        keys = ", ".join(result.set_keys + [f"-{k}" for k in result.removed_keys]) or "nothing"
        message = f"wrote {path} ({keys})"
        if result.backup:
            message += f"; previous version in {result.backup.name}"
        return WriteOutcome(True, path, message, profile, result)

    def _migrations_pending(self) -> bool:
        # Old key names in the target file are migrated by the next write, even without edits.
        real = os.path.realpath(self.target.path)
        return any(r.source.origin == "file" and os.path.realpath(r.source.where) == real
                   for r in self.loaded.renamed)

    def _after_write(self, path: Path) -> None:
        # The file now holds what we wrote: remember its new hash so the next write can
        # tell our own change from someone else's, and where the written keys come from.
        if self._loader is not None:
            try:
                self.loaded = self._loader()
                return
            except OSError:
                pass  # fall back to updating what we know by hand
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        real = os.path.realpath(path)
        hashes = {p: h for p, h in self.loaded.file_hashes.items()
                  if os.path.realpath(p) != real}
        hashes[str(path)] = digest
        provenance = dict(self.loaded.provenance)
        for key in self.written.settings:
            if self.written.settings[key] != self.loaded.profile.settings.get(key):
                provenance[key] = Source("file", str(path))
        for key in self.written.distributed:
            if self.written.distributed[key] != self.loaded.profile.distributed.get(key):
                provenance[f"distributed.{key}"] = Source("file", str(path))
        renamed = [r for r in self.loaded.renamed
                   if os.path.realpath(r.source.where or "/nonexistent") != real]
        self.loaded = replace(self.loaded, profile=self.written, file_hashes=hashes,
                              provenance=provenance, renamed=renamed)

    def reload(self) -> None:
        """Read the config again (after the file changed on disk). The keys edited since the
        last write are set again on top of what the files now say, as one undoable step."""
        if self._loader is None:
            raise RuntimeError("this workspace was built without a loader; build a new one")
        loaded = self._loader()
        with self._lock:
            edits = changed_keys(self.written, self.pending)
            pending = loaded.profile
            for key in edits:
                pending = pending.with_setting(key, self.pending.get(key))
            self.loaded = loaded
            self.written = loaded.profile
            self._history = History.start(loaded.profile)
            if pending != loaded.profile:
                self._history.profiles.append(pending)
                self._history.cursor = 1

    def header_texts(self, profile: Profile | None = None) -> list[str]:
        """The directive lines `profile` (default: pending) submits, for the rejection view."""
        try:
            return render(profile or self.pending).header_lines
        except ScriptError:
            return []

    def mark_applied(self, profile: Profile | None = None) -> None:
        """The cluster now runs `profile` (default: the pending one): the script diff's base."""
        self.applied = profile or self.pending

