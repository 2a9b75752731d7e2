"""Writes a profile's changes into a Dask YAML config file, keeping everything else as it was.

Only keys whose value changed are written (key by key, through `ConfigDocument`, which keeps
every other byte of the file); old key names found in the file are migrated (new key
written, old one deleted, never `[]`); optionally a `labextension.factory` block is added so
dask-labextension starts the same cluster. The result says which written keys something of
higher precedence (a DASK_* variable, a later file) still overrides.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from hpctui.core.config.load import LoadedProfile
from hpctui.core.config.document import (  # noqa: F401  (re-exported: the write API in one place)
    ConfigChangedOnDisk, ConfigDocument, ConfigSyntaxError, ConfigWriteError, WriteResult,
)
from hpctui.core.batch.kinds import get_kind
from hpctui.core.config.profile import Profile


def labextension_block(kind: str) -> dict:
    """The `labextension.factory` block that makes dask-labextension start this cluster.

    No kwargs: the cluster class then reads `jobqueue.<kind>` from the same config.
    """
    module, _, cls = get_kind(kind).cluster_class.rpartition(".")
    return {"module": module, "class": cls, "args": [], "kwargs": {}}


def apply_profile(doc: ConfigDocument, before: Profile, after: Profile,
                  loaded: LoadedProfile | None = None, labextension: bool = False) -> None:
    """Record in `doc` every key whose value differs between `before` and `after`.

    Renamed keys found in this file are migrated: the new key is written with the value
    dask-jobqueue uses, and the old key is deleted (never left as `[]`).
    """
    kind = after.kind
    section = f"jobqueue.{kind}"
    for key, value in after.settings.items():
        if before.settings.get(key, object()) != value or key not in before.settings:
            doc.set(f"{section}.{key}", value)
    for key, value in after.distributed.items():
        if before.distributed.get(key, object()) != value:
            doc.set(f"distributed.{key}", value)
    for renamed in (loaded.renamed if loaded else []):
        old_key = f"{section}.{renamed.old}"
        if not doc.has(old_key):
            continue  # the old key lives in another file: the new key here overrides it
        if renamed.used or doc.get(f"{section}.{renamed.new}") is None:
            doc.set(f"{section}.{renamed.new}", after.settings.get(renamed.new))
        doc.delete(old_key)
    if labextension:
        # module and class point at this kind; args/kwargs the user already has are kept.
        block = labextension_block(kind)
        for key in ("module", "class", "args", "kwargs"):
            if key in ("module", "class") or not doc.has(f"labextension.factory.{key}"):
                doc.set(f"labextension.factory.{key}", block[key])


def write_profile(path: str | os.PathLike, before: Profile, after: Profile,
                  loaded: LoadedProfile | None = None, labextension: bool = False,
                  ) -> WriteResult:
    """Write what changed from `before` to `after` into `path`.

    When `loaded` is given, the file must still have the content `load_profile` read
    (or still not exist), else ConfigChangedOnDisk.
    """
    doc = ConfigDocument.load(path)
    if loaded is not None:
        real = os.path.realpath(path)
        known = {os.path.realpath(p): h for p, h in loaded.file_hashes.items()}
        # A file load_profile didn't read (outside dask's search path) can't be checked.
        if real in known and known[real] != doc.sha256:
            raise ConfigChangedOnDisk(
                f"{path} changed on disk since hpctui read it; nothing was written "
                f"(reload it and apply the change again)")
    apply_profile(doc, before, after, loaded, labextension)
    result = doc.save()
    if loaded is None:
        return result
    return replace(result, shadowed=shadowed_keys(loaded, Path(path), result.set_keys))


def shadowed_keys(loaded: LoadedProfile, target: Path, dotted_keys: list[str]) -> list[str]:
    """Which of `dotted_keys`, once written to `target`, are still overridden, and by what."""
    real = os.path.realpath(target)
    files = [os.path.realpath(f) for f in loaded.files]
    position = files.index(real) if real in files else None
    out = []
    for dotted in dotted_keys:
        parts = dotted.split(".")
        key = dotted if parts[0] == "distributed" else (
            parts[2] if len(parts) == 3 and parts[0] == "jobqueue" else None)
        source = loaded.provenance.get(key) if key else None
        if source is None or source.origin == "default":
            continue
        if source.origin == "env":
            out.append(f"{dotted}: overridden by environment variable {source.where}")
        elif source.origin == "file" and os.path.realpath(source.where) != real:
            later = os.path.realpath(source.where)
            if later in files and (position is None or files.index(later) > position):
                out.append(f"{dotted}: overridden by {source.where}, read after {target}")
    return out
