"""Policy versions: a child document that ``extends`` a parent → one merged document (stage: load; pure).

A new fiscal year usually changes a few rules. A child policy names its parent and states only
what changes; :func:`merge` lays it over the parent by stable ids. The format::

    extends: gz-dept-2021.yaml      # the parent, relative to this file's directory
    policy: {id: …, version: …}     # merged key by key onto the parent's ``policy``
    rounding / total / grading: …   # merged key by key (a mapping merges, anything else replaces)
    facts:                          # by fact name: a new name is added, a known one merged,
      某事实: {…}                    #   ``null`` removes it
    constraints: [{when: …, message: …, severity: warning}]   # added after the parent's
    indicators:                     # by indicator id (a mapping, not a list)
      A1.2: {rule: {…}}             # known id: merged key by key; a rule whose ``kind`` changes
                                    #   is replaced whole, otherwise merged key by key
      A7: {parent: A, after: A6, name: …, max: …, rule: …}   # new id: ``parent`` (null = top level),
                                    #   optional ``after`` (a sibling id; default: last)
      A3.2: null                    # remove (with its subtree)
      A4.2: {parent: A5}            # ``parent``/``after`` on a known id: move it

Lists (bands, checklist items, sources) are replaced whole. ``children`` may only be given for a
new indicator. Every merged value keeps the position it came from, so an error in an overridden
value points to the child file's line and an error in an inherited one to the parent's.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TypeAlias

from engine.errors import ErrorCode, JixiaoError, PolicyErrors, Problem, did_you_mean
from engine.json_values import DocMapping, DocValue
from engine.source import Path, SourceDoc, field_path, value_paths

__all__ = ["EXTENDS", "merge", "parent_name", "resolve"]

EXTENDS = "extends"
SECTIONS = ("policy", "rounding", "total", "grading", "facts", "constraints", "indicators")
PLACEMENT = ("parent", "after")
_NAME_CHARS = 255  # a file name, as most file systems allow
_READ_FAILURES = (ErrorCode.SOURCE_NOT_FOUND, ErrorCode.SOURCE_UNREADABLE, ErrorCode.LIMIT_FILE_SIZE)
Origin = tuple[SourceDoc, Path]
Reader = Callable[[str], SourceDoc]


def resolve(doc: SourceDoc, read: Reader, seen: tuple[str, ...] = ()) -> SourceDoc:
    """Return ``doc`` itself, or, if it ``extends`` a parent, the merged document (parents first).

    ``read`` loads a parent by name (the loader passes a file reader; tests pass a dict lookup).

    Raises:
        JixiaoError: a missing parent (located at ``extends``), a cycle, or problems in the child.
    """
    if not (isinstance(doc.value, dict) and EXTENDS in doc.value):
        return doc
    name = parent_name(doc)
    where = doc.locate((EXTENDS,))
    if name in (*seen, doc.file):
        raise JixiaoError(ErrorCode.POLICY_EXTENDS, f"继承循环：{' → '.join((*seen, doc.file, name))}", where,
                          EXTENDS)
    try:
        parent = read(name)
    except JixiaoError as err:
        if err.location is not None and err.code not in _READ_FAILURES:
            raise  # a problem inside the parent, located there
        reason = "找不到" if err.code == ErrorCode.SOURCE_NOT_FOUND else "无法读取"
        raise JixiaoError(ErrorCode.POLICY_EXTENDS, f"{reason}父指标体系「{name}」（extends 相对本文件所在目录）："
                                                    f"{err.problem.message}", where, EXTENDS) from None
    except (OSError, ValueError) as err:  # a reader that is not the loader's
        raise JixiaoError(ErrorCode.POLICY_EXTENDS, f"无法读取父指标体系「{name}」：{err}", where, EXTENDS) from None
    return merge(resolve(parent, read, (*seen, doc.file)), doc)


def parent_name(doc: SourceDoc) -> str:
    """The parent's file name: ``extends`` joined to the child's directory.

    >>> parent_name(SourceDoc("policies/b.yaml", {"extends": "a.yaml"}))
    'policies/a.yaml'
    """
    target = doc.value.get(EXTENDS) if isinstance(doc.value, dict) else None
    if not isinstance(target, str) or not target.strip():
        raise JixiaoError(ErrorCode.POLICY_EXTENDS, "extends 应为父指标体系的文件名（相对本文件所在目录）",
                          doc.locate((EXTENDS,)), EXTENDS)
    if not target.isprintable() or len(target) > _NAME_CHARS:
        raise JixiaoError(ErrorCode.POLICY_EXTENDS, f"extends 的文件名含控制字符或超过 {_NAME_CHARS} 个字符："
                                                    f"{target[:_NAME_CHARS]!r}", doc.locate((EXTENDS,)), EXTENDS)
    return os.path.normpath(PurePath(doc.file).parent / target)


def merge(parent: SourceDoc, child: SourceDoc) -> SourceDoc:
    """Lay ``child`` over ``parent`` by ids; positions follow the values they belong to.

    Raises:
        PolicyErrors: every structural problem of the child (unknown ids, misplaced keys), located in it.
    """
    merger = _Merger(parent, child)
    value = merger.run()
    if merger.problems:
        raise PolicyErrors(merger.problems)
    return _with_positions(child.file, value, merger.origins)


@dataclass
class _Node:
    """An indicator while the tree is rearranged: its own keys, its children, where each came from."""

    value: DocMapping
    origin: Origin
    children: list[_Node] = field(default_factory=list)
    overrides: dict[Path, Origin] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.value.get("id"))


class _Merger:
    def __init__(self, parent: SourceDoc, child: SourceDoc) -> None:
        self.parent, self.child = parent, child
        self.origins: dict[Path, Origin] = {(): (parent, ())}
        self.problems: list[Problem] = []

    def fail(self, path: Path, message: str, *, key: bool = True) -> None:
        self.problems.append(Problem(ErrorCode.POLICY_EXTENDS, message, self.child.locate(path, key=key),
                                     field_path(path)))

    def run(self) -> DocMapping:
        if not isinstance(self.parent.value, dict):
            return {}
        out = dict(self.parent.value)
        child = self.child.value if isinstance(self.child.value, dict) else {}
        for key, value in child.items():
            if key == EXTENDS:
                continue
            if key not in SECTIONS:
                self.fail((key,), f"继承文件中未知的顶层键「{key}」{did_you_mean(key, SECTIONS)}")
            elif key == "indicators":
                out[key] = self.indicators(value)
            elif key == "facts":
                out[key] = self.facts(out.get(key), value)
            elif key == "constraints":
                out[key] = self.constraints(out.get(key), value)
            else:
                out[key] = _merge(out.get(key), value, (key,), (self.child, (key,)), self.origins)
        return out

    # -- facts ---------------------------------------------------------------------------
    def facts(self, base: DocValue, over: DocValue) -> DocValue:
        if not isinstance(over, dict) or not isinstance(base, dict):
            return _merge(base, over, ("facts",), (self.child, ("facts",)), self.origins)
        out: DocMapping = dict(base)
        for name, spec in over.items():
            path: Path = ("facts", name)
            if spec is None:
                if name not in out:
                    self.fail(path, f"要删除的事实「{name}」在父指标体系中不存在{did_you_mean(name, out)}")
                out.pop(name, None)
            else:
                out[name] = _merge(out.get(name, _MISSING), spec, path, (self.child, path), self.origins)
        return out

    # -- constraints ---------------------------------------------------------------------
    def constraints(self, base: DocValue, over: DocValue) -> DocValue:
        """The child's constraints are added after the parent's (a child cannot drop a check)."""
        if not isinstance(over, list):
            self.fail(("constraints",), "继承文件中的 constraints 应为列表：其中的约束追加在父指标体系的约束之后",
                      key=False)
            return base
        inherited = base if isinstance(base, list) else []
        for j in range(len(over)):
            self.origins[("constraints", len(inherited) + j)] = (self.child, ("constraints", j))
        return [*inherited, *over]

    # -- indicators ----------------------------------------------------------------------
    def indicators(self, over: DocValue) -> list[DocValue]:
        parent = self.parent.value
        inherited = parent.get("indicators") if isinstance(parent, dict) else None
        inherited = inherited if isinstance(inherited, list) else []
        roots = [_tree(self.parent, ("indicators", i), v) for i, v in enumerate(inherited)]
        if not isinstance(over, dict):
            self.fail(("indicators",), "继承文件中的 indicators 应为按指标 id 的映射（id: 修改内容），不是列表",
                      key=False)
        else:
            for ident, change in over.items():
                self.apply(roots, str(ident), change, ("indicators", ident))
        return [self.emit(node, ("indicators", i)) for i, node in enumerate(roots)]

    def apply(self, roots: list[_Node], ident: str, change: DocValue, path: Path) -> None:
        found = _find(roots, ident)
        if change is None:
            if found is None:
                self.fail(path, f"要删除的指标「{ident}」在父指标体系中不存在{did_you_mean(ident, _ids(roots))}")
            else:
                found[0].remove(found[1])
            return
        if not isinstance(change, dict):
            self.fail(path, f"指标「{ident}」的修改应为映射（键: 值）或 null（删除）", key=False)
            return
        if found is None:
            self.add(roots, ident, change, path)
            return
        siblings, node = found
        self.modify(node, change, path)
        if any(k in change for k in PLACEMENT):
            siblings.remove(node)
            self.place(roots, node, change, path, siblings)

    def modify(self, node: _Node, change: DocMapping, path: Path) -> None:
        for key, value in change.items():
            if key in PLACEMENT:
                continue
            if key in ("children", "id"):
                self.fail((*path, key), f"不能在继承文件中改写已有指标的「{key}」：下级指标请按 id 逐个修改、"
                                        "新增或删除")
                continue
            base: _Base = node.value.get(key, _MISSING)
            if key == "rule" and isinstance(base, dict) and isinstance(value, dict) \
                    and value.get("kind", base.get("kind")) != base.get("kind"):
                base = _MISSING
            node.value[key] = _merge(base, value, (key,), (self.child, (*path, key)), node.overrides)

    def add(self, roots: list[_Node], ident: str, change: DocMapping, path: Path) -> None:
        if "parent" not in change:
            self.fail(path, f"新增指标「{ident}」必须写 parent（上级指标 id；顶层写 null）"
                            f"{did_you_mean(ident, _ids(roots))}")
            return
        if change.get("id", ident) != ident:
            self.fail((*path, "id"), f"新增指标的 id 应与键一致：「{ident}」")
            return
        body: DocMapping = {"id": ident, **{k: v for k, v in change.items() if k not in PLACEMENT}}
        self.place(roots, _tree(self.child, path, body), change, path, roots)

    def place(self, roots: list[_Node], node: _Node, change: DocMapping, path: Path,
              siblings: list[_Node]) -> None:
        """Insert ``node`` under ``parent`` (default: ``siblings``, where it was), after ``after`` or last."""
        parent_id = change.get("parent", _MISSING)
        if parent_id is None:
            siblings = roots
        elif parent_id is not _MISSING:
            found = _find(roots, str(parent_id))
            if found is None or _find(node.children, str(parent_id)) or found[1] is node:
                self.fail((*path, "parent"), f"上级指标「{parent_id}」不存在或位于被移动的指标之下"
                                             f"{did_you_mean(str(parent_id), _ids(roots))}", key=False)
                return
            siblings = found[1].children
        after = change.get("after")
        index = len(siblings)
        if after is not None:
            ids = [s.id for s in siblings]
            if str(after) not in ids:
                self.fail((*path, "after"), f"同级中没有指标「{after}」{did_you_mean(str(after), ids)}", key=False)
                return
            index = ids.index(str(after)) + 1
        siblings.insert(index, node)

    def emit(self, node: _Node, path: Path) -> DocMapping:
        self.origins[path] = node.origin
        for rel, origin in node.overrides.items():
            self.origins[(*path, *rel)] = origin
        out = dict(node.value)
        if node.children:
            out["children"] = [self.emit(c, (*path, "children", i)) for i, c in enumerate(node.children)]
        return out


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()
_Base: TypeAlias = "DocValue | _Missing"  # what a child's value is laid over: nothing, where the parent has no key


def _merge(base: _Base, over: DocValue, here: Path, source: Origin, origins: dict[Path, Origin]) -> DocValue:
    """Mappings merge key by key; anything else is replaced (and remembers where it came from)."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = _merge(base.get(key, _MISSING), value, (*here, key), (source[0], (*source[1], key)), origins)
        return out
    origins[here] = source
    return over


def _tree(doc: SourceDoc, path: Path, value: DocValue) -> _Node:
    if not isinstance(value, dict):
        return _Node({"id": value}, (doc, path))
    own = {k: v for k, v in value.items() if k != "children"}
    children = value.get("children")
    kids = children if isinstance(children, list) else []
    return _Node(own, (doc, path), [_tree(doc, (*path, "children", i), c) for i, c in enumerate(kids)])


def _find(nodes: list[_Node], ident: str) -> tuple[list[_Node], _Node] | None:
    for node in nodes:
        if node.id == ident:
            return nodes, node
        found = _find(node.children, ident)
        if found:
            return found
    return None


def _ids(nodes: list[_Node]) -> Iterator[str]:
    for node in nodes:
        yield node.id
        yield from _ids(node.children)


def _with_positions(file: str, value: DocValue, origins: dict[Path, Origin]) -> SourceDoc:
    """Give every path of the merged value the position of the document it came from."""
    doc = SourceDoc(file, value)
    for path in value_paths(value):
        origin = _origin(origins, path)
        if origin is None:
            continue
        source, base, prefix = origin
        src = (*base, *path[len(prefix):])
        for table, into in ((source.positions, doc.positions), (source.key_positions, doc.key_positions)):
            if src in table:
                into[path] = table[src]
        if src in source.styles:
            doc.styles[path] = source.styles[src]
    return doc


def _origin(origins: dict[Path, Origin], path: Path) -> tuple[SourceDoc, Path, Path] | None:
    for depth in range(len(path), -1, -1):
        found = origins.get(path[:depth])
        if found is not None:
            return found[0], found[1], path[:depth]
    return None
