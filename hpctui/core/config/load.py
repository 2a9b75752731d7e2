"""Loads a profile the way dask does, and remembers which file or variable set each key.

Dask's precedence, lowest first: the defaults dask-jobqueue and distributed ship, YAML files
in `/etc/dask` (or `$DASK_ROOT_CONFIG`), `<sys.prefix>/etc/dask`, `~/.config/dask`,
`$DASK_CONFIG` (files in alphabetical order within a folder), then `DASK_*` environment
variables. hpctui adds `--config PATH` as the last file. Files are parsed one by one (with
the same YAML loader dask uses) so that one malformed file is reported with its line and
column and skipped, instead of stopping hpctui, as `dask.config.collect` would.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from hpctui.core.batch.kinds import get_kind
from hpctui.core.config.profile import (
    DISTRIBUTED_KEYS, KEYS_BY_KIND, Profile, canonical_key, renamed_keys_for,
    unknown_key_message,
)

DEFAULT_FILE_NAME = "hpctui.yaml"
LOCAL_DEFAULTS = "hpctui's local defaults"


@dataclass(frozen=True)
class Source:
    """Where a key's value came from."""

    origin: str  # "default", "file" or "env"
    # the file's path or the variable's name; for defaults "" (dask's and dask-jobqueue's)
    # or LOCAL_DEFAULTS (hpctui's own, local_defaults.yaml)
    where: str = ""

    def __str__(self) -> str:
        if self.origin == "default":
            return self.where or "default"
        if self.origin == "env":
            return f"environment variable {self.where}"
        return self.where


@dataclass(frozen=True)
class RenamedKey:
    """An old key name found in the config: dask-jobqueue still reads it, hpctui migrates it."""

    old: str
    new: str
    value: Any
    source: Source
    used: bool  # True when the new key is empty, so dask-jobqueue uses the old one

    @property
    def message(self) -> str:
        how = "in use" if self.used else f"ignored because {self.new} is set"
        return (f"{self.old} ({self.source}): renamed to {self.new}, will be migrated "
                f"on the next write ({how})")


@dataclass(frozen=True)
class ConfigFileError:
    """A config file that could not be read: malformed YAML or not a mapping."""

    path: str
    line: int | None  # 1-based
    column: int | None  # 1-based
    problem: str

    @property
    def message(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}:{self.column}"
        return f"{where}: {self.problem}"


@dataclass(frozen=True)
class LoadedProfile:
    """A profile as dask would see it, with where every value came from."""

    profile: Profile
    provenance: dict[str, Source]  # "cores", "distributed.worker.use-file-locking" -> Source
    renamed: list[RenamedKey]
    unknown_keys: list[str]  # messages naming the key, with a did-you-mean
    errors: list[ConfigFileError]
    files: list[str]  # files read, lowest precedence first
    file_hashes: dict[str, str]  # sha256 of each file's bytes as read (for write-back)


def user_config_dirs(environ: Mapping[str, str] | None = None) -> list[str]:
    """The user-level config folders: `~/.config/dask`, then `$DASK_CONFIG` if set."""
    env = os.environ if environ is None else environ
    home = env.get("HOME") or os.path.expanduser("~")
    dirs = [os.path.join(home, ".config", "dask")]
    if env.get("DASK_CONFIG"):
        dirs.append(env["DASK_CONFIG"])
    return list(dict.fromkeys(dirs))


def search_paths(environ: Mapping[str, str] | None = None,
                 config_path: str | os.PathLike | None = None) -> list[str]:
    """Dask's own list of config locations (as `dask.config._get_paths`), plus `config_path`."""
    import site

    env = os.environ if environ is None else environ
    paths = [
        env.get("DASK_ROOT_CONFIG", "/etc/dask"),
        os.path.join(sys.prefix, "etc", "dask"),
        *[os.path.join(prefix, "etc", "dask") for prefix in site.PREFIXES],
        *user_config_dirs(env),
    ]
    if config_path is not None:
        paths.append(str(config_path))
    # Same de-duplication as dask: keep the last occurrence of each path.
    return list(reversed(list(dict.fromkeys(reversed(paths)))))


def config_files(paths: list[str]) -> list[str]:
    """The YAML/JSON files dask reads from `paths`, in dask's order."""
    files: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            try:
                files.extend(sorted(
                    os.path.join(path, p) for p in os.listdir(path)
                    if os.path.splitext(p)[1].lower() in (".json", ".yaml", ".yml")
                ))
            except OSError:
                pass  # dask ignores unreadable folders too
        elif os.path.exists(path):
            files.append(path)
    return files


def read_config_file(path: str) -> tuple[dict | None, str | None, ConfigFileError | None]:
    """Parse one file as dask does: (mapping or None, sha256 of its bytes, error)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None, None, None  # dask silently ignores unreadable files
    digest = hashlib.sha256(data).hexdigest()
    try:
        loaded = yaml.safe_load(data.decode("utf-8"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(filter(None, [exc.context, exc.problem])) or str(exc)
        return None, digest, ConfigFileError(
            path, mark.line + 1 if mark else None, mark.column + 1 if mark else None,
            f"malformed YAML: {problem}")
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        return None, digest, ConfigFileError(path, None, None, f"malformed YAML: {exc}")
    if loaded is not None and not isinstance(loaded, dict):
        return None, digest, ConfigFileError(
            path, 1, 1, f"a Dask config file must be a mapping, not a {type(loaded).__name__}")
    return loaded, digest, None


def _package_yaml(package: str, filename: str) -> dict:
    # Read the defaults without importing the package: importing dask_jobqueue writes a
    # commented jobqueue.yaml into the user's config folder.
    spec = importlib.util.find_spec(package)
    path = Path(spec.origin).parent / filename
    with open(path) as f:
        return yaml.safe_load(f) or {}


def package_defaults() -> dict:
    """The defaults dask-jobqueue and distributed register with dask (not hpctui's own)."""
    import dask.config

    merged: dict = {}
    dask.config.update(merged, _package_yaml("distributed", "distributed.yaml"))
    dask.config.update(merged, _package_yaml("dask_jobqueue", "jobqueue.yaml"))
    return merged


def local_defaults() -> dict:
    """hpctui's own defaults for `jobqueue.local`: enough cores and memory to run on a laptop,
    and everything on loopback (the workers are local), under this host's loopback name."""
    with open(Path(__file__).with_name("local_defaults.yaml")) as f:
        defaults = yaml.safe_load(f) or {}
    local = defaults.get("jobqueue", {}).get("local", {})
    if local.get("interface") == "lo":
        local["interface"] = loopback_interface()
    return defaults


def loopback_interface() -> str:
    """This host's loopback interface: `lo` on Linux, `lo0` on macOS and the BSDs."""
    try:
        import netifaces

        names = netifaces.interfaces()
        if "lo" in names:
            return "lo"
        for name in names:
            addresses = netifaces.ifaddresses(name).get(netifaces.AF_INET, [])
            if any(str(a.get("addr", "")).startswith("127.") for a in addresses):
                return name
    except (ImportError, OSError, ValueError):
        pass
    return "lo"


def _env_layers(env: Mapping[str, str]) -> list[tuple[Source, dict]]:
    import dask.config

    layers = []
    if "DASK_INTERNAL_INHERIT_CONFIG" in env:
        layers.append((Source("env", "DASK_INTERNAL_INHERIT_CONFIG"),
                       dask.config.deserialize(env["DASK_INTERNAL_INHERIT_CONFIG"])))
    for name, value in env.items():
        if name.startswith("DASK_") and name != "DASK_INTERNAL_INHERIT_CONFIG":
            cfg: dict = {}
            varname = name[5:].lower().replace("__", ".")
            dask.config.set({varname: dask.config.interpret_value(value)}, config=cfg)
            layers.append((Source("env", name), cfg))
    return layers


def _lookup(cfg: dict, dotted: str) -> tuple[bool, Any]:
    import dask.config

    try:
        return True, dask.config.get(dotted, config=cfg)
    except (KeyError, TypeError):
        return False, None


def load_profile(kind: str, config_path: str | os.PathLike | None = None, *,
                 paths: list[str] | None = None,
                 environ: Mapping[str, str] | None = None) -> LoadedProfile:
    """The profile for `kind` as dask-jobqueue would see it.

    `paths` replaces dask's search path (tests pass their own so they never read the
    developer's ~/.config); `config_path` is added last, as the highest-precedence file;
    `environ` replaces os.environ for both the search path and the DASK_* variables.
    """
    import dask.config

    kind = get_kind(kind).name
    env = os.environ if environ is None else environ
    if paths is None:
        paths = search_paths(env, config_path)
    elif config_path is not None:
        paths = [*paths, str(config_path)]

    layers: list[tuple[Source, dict]] = [(Source("default"), package_defaults()),
                                         (Source("default", LOCAL_DEFAULTS), local_defaults())]
    errors: list[ConfigFileError] = []
    files: list[str] = []
    hashes: dict[str, str] = {}
    for path in config_files(paths):
        cfg, digest, error = read_config_file(path)
        if digest is not None:
            hashes[path] = digest
        if error is not None:
            errors.append(error)
        elif cfg is not None:
            files.append(path)
            layers.append((Source("file", path), cfg))
    layers.extend(_env_layers(env))

    merged: dict = {}
    for _, cfg in layers:
        dask.config.update(merged, copy.deepcopy(cfg), priority="new")

    section = f"jobqueue.{kind}"
    renames = renamed_keys_for(kind)

    def source_of(dotted: str) -> Source | None:
        for src, cfg in reversed(layers):
            if _lookup(cfg, dotted)[0]:
                return src
        return None

    settings: dict[str, Any] = {}
    provenance: dict[str, Source] = {}
    for key in KEYS_BY_KIND[kind]:
        found, value = _lookup(merged, f"{section}.{key}")
        settings[key] = copy.deepcopy(value) if found else None
        provenance[key] = source_of(f"{section}.{key}") or Source("default")

    renamed: list[RenamedKey] = []
    for old, new in renames.items():
        found, value = _lookup(merged, f"{section}.{old}")
        if not found or value is None:
            continue
        used = not settings.get(new)
        renamed.append(RenamedKey(old, new, value, source_of(f"{section}.{old}"), used))
        if used:
            # dask-jobqueue uses the old key when the new one is empty: so does the profile.
            settings[new] = copy.deepcopy(value)
            provenance[new] = source_of(f"{section}.{old}")

    unknown: list[str] = []
    known = set(KEYS_BY_KIND[kind]) | set(renames)
    for src, cfg in layers:
        if src.origin == "default":
            continue
        found, sec = _lookup(cfg, section)
        if found and isinstance(sec, dict):
            for key in sec:
                if canonical_key(str(key)) not in known:
                    unknown.append(f"{unknown_key_message(kind, str(key))} (in {src})")

    distributed: dict[str, Any] = {}
    for key in DISTRIBUTED_KEYS:
        found, value = _lookup(merged, f"distributed.{key}")
        distributed[key] = value if found else None
        provenance[f"distributed.{key}"] = source_of(f"distributed.{key}") or Source("default")

    return LoadedProfile(
        profile=Profile(kind, settings, distributed),
        provenance=provenance,
        renamed=renamed,
        unknown_keys=list(dict.fromkeys(unknown)),
        errors=errors,
        files=files,
        file_hashes=hashes,
    )


@dataclass(frozen=True)
class ConfigTarget:
    """The file hpctui writes to, and why that one (the UI shows both)."""

    path: Path
    reason: str


def choose_target(kind: str, config_path: str | os.PathLike | None = None, *,
                  environ: Mapping[str, str] | None = None) -> ConfigTarget:
    """`--config PATH`; else the user-level file that already sets `jobqueue.<kind>`
    (the highest-precedence one, by dask's own search); else `hpctui.yaml` in
    `$DASK_CONFIG` or `~/.config/dask`."""
    if config_path is not None:
        return ConfigTarget(Path(config_path), "given with --config")
    env = os.environ if environ is None else environ
    dirs = user_config_dirs(env)
    # As dask.config.paths_containing_key, but a malformed file is passed over, not fatal.
    found = []
    for path in config_files(dirs):
        cfg, _, error = read_config_file(path)
        if error is None and cfg is not None and _lookup(cfg, f"jobqueue.{kind}")[0]:
            found.append(Path(path))
    if found:
        return ConfigTarget(found[-1], f"already sets jobqueue.{kind}")
    return ConfigTarget(Path(dirs[-1]) / DEFAULT_FILE_NAME,
                        f"no user config file sets jobqueue.{kind} yet")
