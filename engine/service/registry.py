"""Policies the service can score against: bundled files plus versions added through the API.

A document that cannot be registered (it no longer compiles, its id is unsafe, a bug in a stage)
never stops the service: it is logged, kept as a :class:`Rejected` entry and shown by ``/status``.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal

from engine.compile import CompiledPolicy
from engine.errors import ErrorCode, JixiaoError, Problem, SourceLocation
from engine.loader import load_policy, policy_from_text, read_bytes
from engine.source import SourceDoc, decode, parse_document

__all__ = ["Entry", "Registry", "Rejected", "confined_reader", "identity_problems", "is_safe_id", "stored_label"]

LOG = logging.getLogger("jixiao.service")

SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
SAFE_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,49}")
MAX_NAME = 300  # the database column of a policy's name


def confined_reader(root: Path) -> Callable[[str], SourceDoc]:
    """Read ``extends`` parents only from ``root``: text from a client must not make the server read other files.

    A name with a control character (a NUL byte), one that leaves ``root`` (``..``, an absolute
    path, a symbolic link) or one that is not a regular file (a FIFO, a device) is refused.
    """
    base = root.resolve()

    def read(name: str) -> SourceDoc:
        label = Path(name).name
        if any(unicodedata.category(ch) == "Cc" for ch in name):
            raise _refused(f"extends 的文件名含控制字符：「{label.encode('unicode_escape').decode()}」")
        try:
            path = (base / name).resolve()
        except (OSError, RuntimeError, ValueError):  # a symbolic link loop
            raise _refused(f"extends 无法解析文件名：「{label}」") from None
        if not path.is_relative_to(base):
            raise _refused(f"extends 只能引用服务指标体系目录中的文件：「{label}」")
        if path.exists() and not path.is_file():
            raise _refused(f"extends 引用的不是普通文件：「{label}」")
        return parse_document(decode(read_bytes(path), name), name)  # labelled by its name, not a server path

    return read


def _refused(message: str) -> JixiaoError:
    return JixiaoError(ErrorCode.POLICY_EXTENDS, message, field="extends")


def is_safe_id(text: str, *, version: bool = False) -> bool:
    """Whether a policy id (or version) is safe as a URL segment, a file label and a database key.

    >>> is_safe_id("gz-dept-2021"), is_safe_id("1.0.0-r1", version=True), is_safe_id("1/2", version=True)
    (True, True, False)
    """
    return (SAFE_VERSION if version else SAFE_ID).fullmatch(text) is not None


def identity_problems(policy: CompiledPolicy, doc: SourceDoc) -> list[Problem]:
    """Why a compiled policy may not be stored: an unsafe id or version, an unstorable name."""
    meta = policy.meta
    problems = []
    for key, value, is_version in (("id", meta.id, False), ("version", meta.version, True)):
        if not is_safe_id(value, version=is_version):
            allowed = "字母、数字和 . _ - +" if is_version else "字母、数字和 . _ -"
            limit = 50 if is_version else 100
            problems.append(Problem(
                ErrorCode.POLICY_SCHEMA,
                f"policy.{key}「{value}」只能由{allowed}组成（以字母或数字开头，最长 {limit} 个字符）："
                "它会用作网址和存储的键",
                doc.locate(("policy", key)), f"policy.{key}"))
    if len(meta.name) > MAX_NAME or any(unicodedata.category(ch) == "Cc" for ch in meta.name):
        problems.append(Problem(ErrorCode.POLICY_SCHEMA, f"policy.name 最长 {MAX_NAME} 个字符，且不能含控制字符",
                                doc.locate(("policy", "name")), "policy.name"))
    return problems


def stored_label(policy_id: str, version: str) -> str:
    """The file name a stored version is labelled with in error locations (no path separators).

    >>> stored_label("gz", "1/2")
    'gz@1_2.yaml'
    """
    return re.sub(r"[^A-Za-z0-9._@+-]", "_", f"{policy_id}@{version}") + ".yaml"


def _bundled(path: Path) -> Entry:
    return Entry(load_policy(path), decode(read_bytes(path), str(path)), "bundled")


Source = Literal["bundled", "stored"]  # a file shipped in policies/, or a version stored through the API


@dataclass(frozen=True, slots=True)
class Entry:
    """One policy version: compiled, with its source text and where it came from."""

    policy: CompiledPolicy
    text: str
    source: Source


@dataclass(frozen=True, slots=True)
class Rejected:
    """A bundled file or stored version that could not be registered, and why."""

    source: Source
    name: str
    problems: tuple[Problem, ...]


class Registry:
    """Policy versions by id and version; the latest registered version is the default."""

    def __init__(self) -> None:
        """Start empty; ``load_directory``, ``load_text`` and ``register`` fill it."""
        self._lock = threading.Lock()
        self._versions: dict[str, dict[str, Entry]] = {}
        self.rejected: list[Rejected] = []

    def load_directory(self, directory: Path) -> None:
        """Register every ``*.yaml`` policy in ``directory`` (sorted, so parents come first by name)."""
        for path in sorted(directory.glob("*.yaml")):
            if not path.is_file():  # a FIFO would block start-up, a device would never end
                where = SourceLocation(path.name, 1, 1)
                problem = Problem(ErrorCode.SOURCE_NOT_FOUND, f"不是普通文件：{path.name}", where)
                self._reject(Rejected("bundled", path.name, (problem,)))
                continue
            self._guarded("bundled", path.name, partial(_bundled, path))

    def load_text(self, text: str, name: str, source: Source,
                  read_parent: Callable[[str], SourceDoc] | None = None) -> None:
        """Compile policy text and register it, or record why it was rejected."""
        self._guarded(source, name, lambda: Entry(policy_from_text(text, name, read_parent), text, source))

    def _guarded(self, source: Source, name: str, build: Callable[[], Entry]) -> None:
        try:
            entry = build()
            problems = tuple(identity_problems(entry.policy, parse_document(entry.text, name)))
        except JixiaoError as err:
            problems = err.problems
        except Exception as err:  # a bug in a stage must not stop the service: log it, serve the others
            LOG.exception("policy %s (%s) could not be loaded", name, source)
            problems = (Problem(ErrorCode.POLICY_SCHEMA, f"无法载入：内部错误 {type(err).__name__}"),)
        if problems:
            self._reject(Rejected(source, name, problems))
        else:
            self.register(entry)

    def _reject(self, rejected: Rejected) -> None:
        LOG.warning("policy %s (%s) not loaded: %s", rejected.name, rejected.source,
                    "; ".join(str(p) for p in rejected.problems))
        self.rejected.append(rejected)

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
