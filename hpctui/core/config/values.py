"""Settings as text and back: what the settings form shows for a value, and what typed text means.

Each key has a shape: text (memory, walltime, queue: kept exactly as typed, because YAML
would read `01:00:00` as the number 3600), a whole number, a number, true/false, a list or
a mapping (written in YAML's flow style: `[--lifetime, 55m]`, `{interface: ib0}`). Text that
doesn't fit a number key is kept as typed so validation can name the key and the value;
text that can't be a list, mapping or true/false at all is an error here, naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

INT_KEYS = frozenset({"cores", "processes", "job-cpu", "ncpus", "mem"})
NUMBER_KEYS = frozenset({"death-timeout"})
BOOL_KEYS = frozenset({"use-stdin", "distributed.worker.use-file-locking"})
LIST_KEYS = frozenset({"worker-extra-args", "job-script-prologue", "job-script-epilogue",
                       "job-directives-skip", "submit-command-extra", "cancel-command-extra"})
MAPPING_KEYS = frozenset({"scheduler-options"})
# job-extra-directives is a list, except for HTCondor where it maps submit keys to values.

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


@dataclass(frozen=True)
class ParsedValue:
    """Typed text turned into a value for a key, or why it can't be."""

    key: str
    text: str
    value: Any = None
    error: str | None = None  # names the key and the text

    @property
    def ok(self) -> bool:
        return self.error is None


def shape_of(kind: str, key: str) -> str:
    """"int", "number", "bool", "list", "mapping" or "text"."""
    if key == "job-extra-directives":
        return "mapping" if kind == "htcondor" else "list"
    if key in INT_KEYS:
        return "int"
    if key in NUMBER_KEYS:
        return "number"
    if key in BOOL_KEYS:
        return "bool"
    if key in LIST_KEYS:
        return "list"
    if key in MAPPING_KEYS:
        return "mapping"
    return "text"


def format_value(value: Any) -> str:
    """A value as the form shows it (and as `parse_value` reads it back)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, dict)):
        return yaml.safe_dump(value if not isinstance(value, tuple) else list(value),
                              default_flow_style=True, width=10_000).strip()
    return str(value)


def parse_value(kind: str, key: str, text: str) -> ParsedValue:
    """What `text` typed for `key` means. Empty text means "not set" (None: the default)."""
    stripped = text.strip()
    if not stripped:
        return ParsedValue(key, text, None)
    shape = shape_of(kind, key)
    if shape == "int":
        try:
            return ParsedValue(key, text, int(stripped))
        except ValueError:
            return ParsedValue(key, text, stripped)  # validation names it
    if shape == "number":
        for cast in (int, float):
            try:
                return ParsedValue(key, text, cast(stripped))
            except ValueError:
                pass
        return ParsedValue(key, text, stripped)
    if shape == "bool":
        low = stripped.lower()
        if low in _TRUE or low in _FALSE:
            return ParsedValue(key, text, low in _TRUE)
        return ParsedValue(key, text, error=f"{key}: {stripped!r} must be true or false")
    if shape in ("list", "mapping"):
        return _parse_collection(key, text, stripped, shape)
    return ParsedValue(key, text, stripped)


def _parse_collection(key: str, text: str, stripped: str, shape: str) -> ParsedValue:
    opener = "[" if shape == "list" else "{"
    if shape == "list" and not stripped.startswith(opener):
        return ParsedValue(key, text, [stripped])  # one item, typed without brackets
    example = "[a, b]" if shape == "list" else "{interface: ib0}"
    try:
        value = yaml.safe_load(stripped)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return ParsedValue(key, text, error=f"{key}: {stripped!r} is not a YAML {shape} "
                                            f"(e.g. {example}): {problem}")
    want = list if shape == "list" else dict
    if not isinstance(value, want):
        return ParsedValue(key, text, error=f"{key}: {stripped!r} is not a {shape} "
                                            f"(e.g. {example})")
    if shape == "list":
        value = [format_value(v) if not isinstance(v, str) else v for v in value]
    return ParsedValue(key, text, value)
