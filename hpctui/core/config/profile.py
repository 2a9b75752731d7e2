"""A profile: one batch-system kind plus the dask-jobqueue and `distributed.*` settings for it.

The key names are dask-jobqueue's own (`jobqueue.<kind>.<key>`, dashed as in its
jobqueue.yaml), so what hpctui edits is exactly what a user would write in a Dask config file
and what dask-jobqueue reads. `Profile` is immutable: every change returns a new one, which is
what makes undo/redo and "preview before apply" cheap.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from typing import Any

from hpctui.core.batch.kinds import get_kind
from hpctui.core.session.placement import DEFAULT_IDLE_TIMEOUT, IDLE_KEY, LOGIN, PLACEMENT_KEY

# Keys every section of dask-jobqueue 0.9.0's jobqueue.yaml has (current names only).
_COMMON_KEYS: tuple[str, ...] = (
    "name", "cores", "memory", "processes", "python", "interface", "death-timeout",
    "local-directory", "shared-temp-directory", "worker-command", "worker-extra-args",
    "job-script-prologue", "job-extra-directives", "job-directives-skip", "log-directory",
    "scheduler-options",
)
_BATCH_KEYS: tuple[str, ...] = ("shebang", "queue", "walltime")

# The keys of `jobqueue.<kind>` per kind, as in dask-jobqueue's jobqueue.yaml without the
# renamed ones. A unit test compares this with the installed jobqueue.yaml, so a new
# dask-jobqueue release that adds a key fails loudly instead of hiding it.
KEYS_BY_KIND: dict[str, tuple[str, ...]] = {
    "slurm": _COMMON_KEYS + _BATCH_KEYS + ("account", "job-cpu", "job-mem"),
    "pbs": _COMMON_KEYS + _BATCH_KEYS + ("account", "resource-spec"),
    "moab": _COMMON_KEYS + _BATCH_KEYS + ("account", "resource-spec"),
    "sge": _COMMON_KEYS + _BATCH_KEYS + ("project", "resource-spec"),
    "lsf": _COMMON_KEYS + _BATCH_KEYS + ("project", "ncpus", "mem", "lsf-units", "use-stdin"),
    "oar": _COMMON_KEYS + _BATCH_KEYS + ("project", "resource-spec",
                                          "memory-per-core-property-name"),
    "htcondor": _COMMON_KEYS + ("shebang", "disk", "submit-command-extra",
                                "cancel-command-extra"),
    # dask-jobqueue's `jobqueue.local` has no shebang; hpctui's BashLocalJob reads one.
    "local": _COMMON_KEYS + ("shebang",),
}

# Keys hpctui adds to every `jobqueue.<kind>` section. dask-jobqueue ignores them in config
# (it reads `security` only as a cluster argument); hpctui passes them on when it starts the
# cluster, so the setting still lives in the user's Dask config file.
#   security: true  -> TLS with dask-jobqueue's temporary certificates, kept in a 0700
#                      `shared-temp-directory` (default `<log-directory>/.hpctui-tls`).
#   scheduler-placement: login | job
#                   -> where the Dask scheduler runs: in hpctui's process on the login node
#                      (`login`, the default: what dask-jobqueue does) or in a batch job of
#                      its own built from this same section (`job`: for login nodes that
#                      compute nodes cannot connect to; see hpctui/core/session/placement.py).
#   scheduler-idle-timeout: "30 minutes"
#                   -> with `job`, how long the scheduler job waits with no client attached
#                      and no task before it ends itself (its walltime bounds it anyway).
#   adapt: {minimum: 0, maximum: 4, unit: jobs, interval: 1s, wait-count: 3, target-duration: 5s}
#                   -> adaptive scaling instead of a fixed number of workers (see
#                      hpctui/core/session/adapt_settings.py).
HPCTUI_KEYS: tuple[str, ...] = ("security", "scheduler-placement", "scheduler-idle-timeout",
                                "adapt")
# The ones no dask-jobqueue class takes as a keyword: hpctui reads them, never passes them on.
HPCTUI_ONLY_KEYS: tuple[str, ...] = ("scheduler-placement", "scheduler-idle-timeout", "adapt")
# What hpctui does when one of its own keys is not set (no dask-jobqueue default exists for
# them, so Settings would show nothing otherwise): placement.py's defaults, and no TLS.
HPCTUI_DEFAULTS: dict[str, Any] = {"security": False, PLACEMENT_KEY: LOGIN,
                                   IDLE_KEY: DEFAULT_IDLE_TIMEOUT}
KEYS_BY_KIND = {kind: keys + HPCTUI_KEYS for kind, keys in KEYS_BY_KIND.items()}

# Old name -> new name. dask-jobqueue still reads the old one, but only when the new key
# is empty; `project` is an old name only where the section's current key is `account`.
RENAMED_KEYS: dict[str, str] = {
    "job-extra": "job-extra-directives",
    "env-extra": "job-script-prologue",
    "extra": "worker-extra-args",
    "header-skip": "job-directives-skip",
    "project": "account",
}

# The `distributed.*` keys hpctui may change (dotted below `distributed.`), with the
# type each must have.
DISTRIBUTED_KEYS: dict[str, type | tuple[type, ...]] = {
    "worker.use-file-locking": bool,
    "worker.multiprocessing-method": str,
    "comm.timeouts.connect": (str, int, float),
    "dashboard.link": str,
}

# Config keys that are cluster-level arguments rather than Job arguments.
_CLUSTER_LEVEL_KEYS = ("scheduler-options", "shared-temp-directory", "security")


def renamed_keys_for(kind: str) -> dict[str, str]:
    """The old -> new key names that apply to `jobqueue.<kind>`."""
    keys = KEYS_BY_KIND[get_kind(kind).name]
    return {old: new for old, new in RENAMED_KEYS.items() if new in keys and old not in keys}


def canonical_key(key: str) -> str:
    """Dask treats `job_mem` and `job-mem` as the same key; hpctui uses the dashed form."""
    return key.replace("_", "-")


def suggest_key(kind: str, key: str) -> str | None:
    """The closest known key name for a misspelt one, or None."""
    candidates = list(KEYS_BY_KIND[kind]) + list(renamed_keys_for(kind))
    close = difflib.get_close_matches(canonical_key(key), candidates, n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_key_message(kind: str, key: str) -> str:
    """`jobqueue.<kind>.<key>` is not a key dask-jobqueue knows; with a did-you-mean."""
    hint = suggest_key(kind, key)
    text = f"jobqueue.{kind}.{key}: unknown key for {kind}"
    return text + (f" (did you mean {hint!r}?)" if hint else "")


def parse_value(text: str) -> Any:
    """A value typed by the user, read as dask reads its YAML files (PyYAML).

    "8" is 8, "[a, b]" a list, "false" False, "01:00:00" stays a string; text PyYAML can't
    read is kept as the string it is.
    """
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def kwarg_name(key: str) -> str:
    """The keyword argument dask-jobqueue's classes take for a config key.

    `name` in the config is the job name (`job_name=`); the cluster's own `name=` is the
    cluster name, a different thing.
    """
    key = canonical_key(key)
    return "job_name" if key == "name" else key.replace("-", "_")


@dataclass(frozen=True)
class Profile:
    """A batch-system kind and the settings dask-jobqueue will use for it."""

    kind: str
    # Keys of `jobqueue.<kind>` (dashed, current names) -> values, as dask-jobqueue reads them.
    settings: dict[str, Any] = field(default_factory=dict)
    # Dotted keys under `distributed.` (see DISTRIBUTED_KEYS) -> values.
    distributed: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        get_kind(self.kind)

    def get(self, key: str, default: Any = None) -> Any:
        """The value of a `jobqueue.<kind>` key (or `distributed.<...>` when so prefixed)."""
        if key.startswith("distributed."):
            return self.distributed.get(key[len("distributed."):], default)
        return self.settings.get(canonical_key(key), default)

    def with_setting(self, key: str, value: Any) -> "Profile":
        """A new profile with one key set.

        `key` is a `jobqueue.<kind>` key (`cores`, `job-extra-directives`, ...) or
        `distributed.<dotted key>` for one of DISTRIBUTED_KEYS. Old key names are accepted
        and stored under their new name. Unknown keys raise ValueError with a did-you-mean.
        """
        if key.startswith("distributed."):
            sub = key[len("distributed."):]
            if sub not in DISTRIBUTED_KEYS:
                raise ValueError(
                    f"{key}: hpctui only changes these distributed keys: "
                    + ", ".join("distributed." + k for k in DISTRIBUTED_KEYS)
                )
            return replace(self, distributed={**self.distributed, sub: value})
        if key.startswith(f"jobqueue.{self.kind}."):
            key = key[len(f"jobqueue.{self.kind}."):]
        key = canonical_key(key)
        key = renamed_keys_for(self.kind).get(key, key)
        if key not in KEYS_BY_KIND[self.kind]:
            raise ValueError(unknown_key_message(self.kind, key))
        return replace(self, settings={**self.settings, key: value})

    def with_kind(self, kind: str) -> "Profile":
        """The same settings for another batch system (keys it doesn't have are dropped)."""
        keys = KEYS_BY_KIND[get_kind(kind).name]
        return Profile(kind, {k: v for k, v in self.settings.items() if k in keys},
                       dict(self.distributed))

    def job_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for the kind's Job class (not the cluster-level ones)."""
        return {
            kwarg_name(k): v for k, v in self.settings.items()
            if v is not None and k not in _CLUSTER_LEVEL_KEYS and k not in HPCTUI_ONLY_KEYS
        }

    def cluster_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for the kind's cluster class, as dask-jobqueue reads from config.

        Keys whose value is None are left out: dask-jobqueue then reads
        `jobqueue.<kind>.<key>` from the process's config, which is what it does for None.
        `scheduler_options` is always present (a dict) so callers can add to it.
        """
        kwargs = self.job_kwargs()
        for key in _CLUSTER_LEVEL_KEYS:
            value = self.settings.get(key)
            if value is not None:
                kwargs[kwarg_name(key)] = value
        kwargs["scheduler_options"] = dict(self.settings.get("scheduler-options") or {})
        if self.settings.get("security") is True:
            # Certificates go where the compute nodes can read them and nobody else may; the
            # session creates that directory 0700 before starting the cluster.
            kwargs["security"] = True
            kwargs["shared_temp_directory"] = str(self.tls_directory())
        else:
            kwargs.pop("security", None)
        return kwargs

    @property
    def placement(self) -> str:
        """Where the scheduler runs: "login" (default) or "job" (`scheduler-placement`)."""
        value = self.settings.get("scheduler-placement")
        return str(value).strip().lower() if value else "login"

    def session_kwargs(self) -> dict[str, Any]:
        """`cluster_kwargs()` plus the scheduler's placement and the adaptive settings, for a
        `ClusterSession`."""
        from hpctui.core.session.adapt_settings import ADAPT_KWARG, parse_adapt
        from hpctui.core.session.placement import session_kwargs

        kwargs = session_kwargs(self.cluster_kwargs(), self.settings)
        try:
            adapt = parse_adapt(self.settings.get("adapt"))
        except ValueError:  # validation names it and blocks the apply; never crash a start
            adapt = None
        if adapt is not None:
            kwargs[ADAPT_KWARG] = adapt
        return kwargs

    def tls_directory(self) -> str:
        """Where `security: true` keeps the workers' certificates (a shared, private folder)."""
        import os

        explicit = self.settings.get("shared-temp-directory")
        if explicit:
            return str(explicit)
        base = self.settings.get("log-directory") or os.getcwd()
        return os.path.join(str(base), ".hpctui-tls")

    def dask_config(self) -> dict[str, Any]:
        """The `distributed.*` settings as flat dotted keys, for `dask.config.set`."""
        return {f"distributed.{k}": v for k, v in self.distributed.items()}
