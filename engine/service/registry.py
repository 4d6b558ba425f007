"""Policies the service can score against: bundled files plus versions added through the API."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine.compile import CompiledPolicy
from engine.errors import ErrorCode, JixiaoError
from engine.loader import load_policy, policy_from_text, read_bytes
from engine.source import SourceDoc, decode, parse_document

__all__ = ["Entry", "Registry", "confined_reader"]


def confined_reader(root: Path) -> Callable[[str], SourceDoc]:
    """Read ``extends`` parents only from ``root``: text from a client must not make the server read other files."""
    base = root.resolve()

    def read(name: str) -> SourceDoc:
        path = (base / name).resolve()
        if not path.is_relative_to(base):
            raise JixiaoError(ErrorCode.POLICY_EXTENDS,
                              f"extends 只能引用服务指标体系目录中的文件：「{Path(name).name}」")
        return parse_document(decode(read_bytes(path), name), name)  # labelled by its name, not a server path

    return read


@dataclass(frozen=True, slots=True)
class Entry:
    """One policy version: compiled, with its source text and where it came from."""

    policy: CompiledPolicy
    text: str
    source: str  # "bundled" or "stored"


class Registry:
    """Policy versions by id and version; the latest registered version is the default."""

    def __init__(self) -> None:
        """Start empty; ``load_directory`` and ``register`` fill it."""
        self._lock = threading.Lock()
        self._versions: dict[str, dict[str, Entry]] = {}

    def load_directory(self, directory: Path) -> None:
        """Register every ``*.yaml`` policy in ``directory`` (sorted, so parents come first by name)."""
        for path in sorted(directory.glob("*.yaml")):
            text = decode(read_bytes(path), str(path))
            self.register(Entry(load_policy(path), text, "bundled"))

    def register_text(self, text: str, name: str, source: str,
                      read_parent: Callable[[str], SourceDoc] | None = None) -> Entry:
        """Compile policy text and register it."""
        entry = Entry(policy_from_text(text, name, read_parent), text, source)
        self.register(entry)
        return entry

    def register(self, entry: Entry) -> None:
        """Add a version (re-registering the same digest is a no-op)."""
        meta = entry.policy.meta
        with self._lock:
            self._versions.setdefault(meta.id, {})[meta.version] = entry

    def find(self, policy_id: str, version: str | None = None) -> Entry | None:
        """A version, or the latest one when ``version`` is None."""
        with self._lock:
            versions = self._versions.get(policy_id)
            if not versions:
                return None
            return versions.get(version) if version else list(versions.values())[-1]

    def all(self) -> list[tuple[str, list[Entry]]]:
        """Every policy id with its versions in registration order."""
        with self._lock:
            return [(pid, list(v.values())) for pid, v in sorted(self._versions.items())]
