"""One Dask YAML file edited key by key as text, written atomically.

ruamel.yaml's round-trip parser says on which lines each key and its value sit, and only
those lines are replaced (or removed, or new ones inserted after the last key of the
mapping). Dumping the whole document with ruamel would keep comments but normalise layout
(mixed sequence indentation, spacing), so the user's other lines would change; this way
every byte outside the changed keys stays as it was. New values are written by PyYAML, the
loader dask itself uses, so they read back exactly.

Writing is atomic: a temp file in the same folder, fsync, rename, with the previous version
kept as `<file>.bak` and the file's mode kept. If the file changed on disk since it was
read, the write is refused (`ConfigChangedOnDisk`) so the caller can reload and re-apply.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpctui.core.config.load import ConfigFileError


class ConfigWriteError(Exception):
    """A config file could not be written; the message says which file and why."""


class ConfigSyntaxError(ConfigWriteError):
    """The file is not valid YAML; it was left untouched."""

    def __init__(self, error: ConfigFileError):
        super().__init__(error.message)
        self.error = error


class ConfigChangedOnDisk(ConfigWriteError):
    """The file changed since hpctui read it; nothing was written."""


@dataclass(frozen=True)
class WriteResult:
    """What a write did."""

    path: Path
    backup: Path | None  # None when the file didn't exist before
    set_keys: list[str]  # dotted keys written
    removed_keys: list[str]  # dotted keys deleted (migrated old names)
    reformatted: bool  # True when the file's layout couldn't be kept (flow-style mapping)
    # Keys written here that something of higher precedence still overrides (a DASK_*
    # variable, or a later file), each with what overrides it: the UI must say so.
    shadowed: list[str] = field(default_factory=list)


def _parse(path: Path, text: str):
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        data = YAML(typ="rt").load(text) if text.strip() else None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(filter(None, [exc.context, exc.problem])) or str(exc)
        raise ConfigSyntaxError(ConfigFileError(
            str(path), mark.line + 1 if mark else None, mark.column + 1 if mark else None,
            f"malformed YAML: {problem}")) from None
    except YAMLError as exc:
        raise ConfigSyntaxError(ConfigFileError(str(path), None, None,
                                                f"malformed YAML: {exc}")) from None
    if data is not None and not hasattr(data, "keys"):
        raise ConfigSyntaxError(ConfigFileError(
            str(path), 1, 1, f"a Dask config file must be a mapping, not {type(data).__name__}"))
    return data


def _find_key(mapping, key: str):
    # Dask treats "_" and "-" alike: edit the spelling the user already has.
    for k in mapping:
        if str(k).replace("_", "-") == key.replace("_", "-"):
            return k
    return None


def _snippet(key: str, value: Any, indent: int, step: int) -> list[str]:
    # PyYAML writes the new value, because PyYAML (YAML 1.1) is what dask reads with:
    # it quotes what it would otherwise misread, e.g. '01:00' (sexagesimal 60 in YAML 1.1).
    import yaml

    text = yaml.safe_dump({key: value}, default_flow_style=False, sort_keys=False,
                          indent=step, width=4096, allow_unicode=True)
    return [" " * indent + line + "\n" for line in text.splitlines()]


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _deeper(line: str, col: int) -> bool:
    # Part of a value that starts at column `col`: more indented, or a "- item" at the
    # same column (YAML allows a block sequence at its key's indentation).
    indent = len(line) - len(line.lstrip())
    return indent > col or (indent == col and line.lstrip().startswith("- ")) or (
        indent == col and line.strip() == "-")


def _indent_step(lines: list[str]) -> int:
    # The file's mapping indentation: the smallest step from a "key:" line to its child.
    steps = []
    for a, b in zip(lines, lines[1:]):
        if a.rstrip().endswith(":") and _is_content(a) and _is_content(b):
            d = (len(b) - len(b.lstrip())) - (len(a) - len(a.lstrip()))
            if d > 0 and not b.lstrip().startswith("- "):
                steps.append(d)
    return min(steps) if steps else 2


class ConfigDocument:
    """One YAML file's text, edited key by key; everything else kept byte for byte.

    Each edit finds the key's lines with ruamel.yaml's round-trip parser (which records
    where every key is) and replaces only those lines; new keys go after the last key of
    their mapping, at its indentation. Comments, blank lines, order and quoting of every
    other key stay exactly as they were. A key written in flow style (`{a: 1}`) cannot be
    edited line by line: its whole parent is rewritten (`reformatted` says so).
    """

    def __init__(self, path: Path, text: str | None):
        self.path = Path(path)
        self.original = text  # None when the file doesn't exist yet
        self.sha256 = None if text is None else hashlib.sha256(text.encode()).hexdigest()
        self.text = text or ""
        _parse(self.path, self.text)
        self.set_keys: list[str] = []
        self.removed_keys: list[str] = []
        self.reformatted = False

    @classmethod
    def load(cls, path: str | os.PathLike) -> "ConfigDocument":
        """Read and parse `path` (a missing file is an empty document)."""
        path = Path(path)
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            return cls(path, None)
        except OSError as exc:
            raise ConfigWriteError(f"cannot read {path}: {exc.strerror}") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigSyntaxError(ConfigFileError(str(path), None, None,
                                                    f"not UTF-8 text: {exc}")) from None
        return cls(path, text)

    @property
    def data(self):
        """The parsed document (ruamel round-trip types), or None when empty."""
        return _parse(self.path, self.text)

    def get(self, dotted: str, default: Any = None) -> Any:
        """The value at a dotted key, or `default`."""
        node = self.data
        for part in dotted.split("."):
            if node is None or not hasattr(node, "keys"):
                return default
            k = _find_key(node, part)
            if k is None:
                return default
            node = node[k]
        return node

    def has(self, dotted: str) -> bool:
        """True when the dotted key is present (even with a null value)."""
        parts = dotted.split(".")
        node = self.get(".".join(parts[:-1])) if len(parts) > 1 else self.data
        return hasattr(node, "keys") and _find_key(node, parts[-1]) is not None

    def _lines(self) -> list[str]:
        lines = self.text.splitlines(True)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        return lines

    def _key_range(self, lines, mapping, key) -> tuple[int, int]:
        line, col = mapping.lc.key(key)
        keys = list(mapping)
        i = keys.index(key)
        stop = mapping.lc.key(keys[i + 1])[0] if i + 1 < len(keys) else len(lines)
        if i + 1 == len(keys):
            # The last key: its value ends where indentation returns to the key's column.
            j = line + 1
            while j < len(lines) and (not _is_content(lines[j]) or _deeper(lines[j], col)):
                j += 1
            stop = j
        end = stop
        while end > line + 1 and not _is_content(lines[end - 1]):
            end -= 1  # blank lines and comments before the next key belong to it
        return line, end

    def _flow(self, node) -> bool:
        return hasattr(node, "fa") and node.fa.flow_style()

    def set(self, dotted: str, value: Any) -> None:
        """Set a dotted key (creating missing parents), touching only its own lines."""
        parts = dotted.split(".")
        data = self.data
        lines = self._lines()
        step = _indent_step(lines)
        if data is None:
            nested: Any = value
            for part in reversed(parts[1:]):
                nested = {part: nested}
            self.text = "".join(lines) + "".join(_snippet(parts[0], nested, 0, step))
            self.set_keys.append(dotted)
            return
        node, depth, parents = data, 0, []
        while depth < len(parts) - 1:
            k = _find_key(node, parts[depth])
            if k is None or not hasattr(node[k], "keys") or not node[k]:
                break
            parents.append((node, k))
            node = node[k]
            depth += 1
        if any(self._flow(n) for n, _ in parents) or self._flow(node):
            self._rewrite_whole(dotted, value)
            return
        rest = parts[depth:]
        nested = value
        for part in reversed(rest[1:]):
            nested = {part: nested}
        k = _find_key(node, rest[0])
        if k is not None:
            if len(rest) == 1 and node[k] == value and type(node[k]) is type(value):
                return
            start, end = self._key_range(lines, node, k)
            col = node.lc.key(k)[1]
            new = _snippet(str(k), nested, col, step)
            comment = self._inline_comment(node, k)
            if comment and end - start == 1 and len(new) == 1:
                new[0] = new[0].rstrip("\n") + comment
            lines[start:end] = new
        else:
            last = list(node)[-1]
            _, end = self._key_range(lines, node, last)
            col = node.lc.key(last)[1]
            lines[end:end] = _snippet(rest[0], nested, col, step)
        self.text = "".join(lines)
        _parse(self.path, self.text)
        self.set_keys.append(dotted)

    @staticmethod
    def _inline_comment(node, key) -> str:
        item = node.ca.items.get(key)
        token = item[2] if item and len(item) > 2 else None
        if token is None or token.value.count("\n") != 1 or not token.value.startswith("#"):
            return ""
        return "   " + token.value

    def _rewrite_whole(self, dotted: str, value: Any) -> None:
        # Flow-style mappings can't be edited line by line; dump them anew (rare).
        import yaml

        current = yaml.safe_load(self.text) or {}
        import dask.config

        dask.config.set({dotted: value}, config=current)
        self.text = yaml.safe_dump(current, default_flow_style=False, sort_keys=False,
                                   width=4096)
        self.reformatted = True
        self.set_keys.append(dotted)

    def delete(self, dotted: str) -> bool:
        """Delete a dotted key and its lines; False when it isn't there."""
        parts = dotted.split(".")
        node = self.get(".".join(parts[:-1])) if len(parts) > 1 else self.data
        if not hasattr(node, "keys"):
            return False
        k = _find_key(node, parts[-1])
        if k is None:
            return False
        if len(node) == 1 and len(parts) > 1:
            # An emptied mapping would read back as null, and dask would then replace the
            # whole section with None: remove the parent too.
            self.delete(".".join(parts[:-1]))
            self.removed_keys[-1] = dotted
            return True
        if self._flow(node):
            import yaml

            current = yaml.safe_load(self.text)
            parent = current
            for part in parts[:-1]:
                parent = parent[_find_key(parent, part)]
            del parent[_find_key(parent, parts[-1])]
            self.text = yaml.safe_dump(current, default_flow_style=False, sort_keys=False)
            self.reformatted = True
        else:
            lines = self._lines()
            start, end = self._key_range(lines, node, k)
            del lines[start:end]
            self.text = "".join(lines)
        self.removed_keys.append(dotted)
        return True

    def render(self) -> str:
        """The new text of the file."""
        if self.original is not None and not self.original.endswith("\n") \
                and self.text == self.original + "\n":
            return self.original
        return self.text

    def save(self) -> WriteResult:
        """Write atomically; refuse if the file changed on disk since it was read."""
        current = None
        try:
            with open(self.path, "rb") as f:
                current = hashlib.sha256(f.read()).hexdigest()
        except FileNotFoundError:
            pass
        if current != self.sha256:
            what = "was created" if self.sha256 is None else (
                "was deleted" if current is None else "was changed")
            raise ConfigChangedOnDisk(
                f"{self.path} {what} on disk since hpctui read it; nothing was written "
                f"(reload it and apply the change again)")
        text = self.render()
        backup = _atomic_write(self.path, text, keep_backup=self.original is not None)
        self.original = text
        self.sha256 = hashlib.sha256(text.encode()).hexdigest()
        return WriteResult(self.path, backup, list(self.set_keys), list(self.removed_keys),
                           self.reformatted)


def _atomic_write(path: Path, text: str, keep_backup: bool) -> Path | None:
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        mode = stat.S_IMODE(os.stat(path).st_mode) if path.exists() else None
        backup = None
        if keep_backup:
            backup = path.with_name(path.name + ".bak")
            _write_file(backup, path.read_bytes(), mode)
        _write_file(path, text.encode("utf-8"), mode)
        return backup
    except OSError as exc:
        raise ConfigWriteError(f"cannot write {path}: {exc.strerror or exc}") from None


def _write_file(path: Path, data: bytes, mode: int | None) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
