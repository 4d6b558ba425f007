"""What every rule kind provides, and the plain data kinds and stages exchange (stage: rules).

A rule kind is one module of ``engine/rules/``: its pydantic model (a :class:`RuleBase`), a
:class:`Kind` that plans one rule at compile time, and the frozen :class:`RulePlan` it returns. A plan
keeps the source location of every band, case, item and tier it parsed (once) and answers the stages'
small questions with plain data: its firing conditions (:class:`~engine.firing.conditions.Probe`s that
the firing engine decides), its score with ``Decimal``, its inversion for recover, its edges for
fuzzing and its expected branch (the independent oracle of the invariants).

Kind modules never import hypothesis, jinja2, click, fastapi or durable_rules. They name the fact
and policy types (``Facts``, ``FactSpec``) for the type checker only: ``engine.schema`` builds its
rule union from the registry, so kinds sit below it at run time.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from engine import expr
from engine.errors import ErrorCode, SourceLocation, did_you_mean
from engine.firing.conditions import Branch, Case, Marker, Probe
from engine.intervals import Interval
from engine.scoring import Outcome, Part
from engine.source import Path
from engine.trace import Deduction, FactRead

if TYPE_CHECKING:
    from engine.facts import Facts, Target
    from engine.rules.inversion import Change, Known, Plain
    from engine.schema import FactSpec

__all__ = [
    "COMPARE_DESCRIPTION", "NUMERIC", "Ambiguous", "Choice", "Compare",
    "Compiling", "Direction", "FactRef", "Fired", "Firing", "Kind", "Model",
    "NoMatch",
    "RuleBase", "RulePlan", "number", "one", "only", "unit",
]

Direction = Literal["increasing", "decreasing"]
Compare = Literal["rounded", "exact"]
COMPARE_DESCRIPTION = ("rounded（默认）：按事实声明的舍入值比较；exact：派生事实按未舍入的值比较和计算"
                       "（0.0005% 舍入为 0.00% 时不算“= 0”），扣分记录写明比较的是哪一个")
# the keys of a rule that are not its parameters: what ``inferred`` may not name
NOT_PARAMETERS = frozenset({"id", "wording", "provenance", "note", "source", "kind", "inferred", "monotonic"})
NUMERIC = ("decimal", "integer")


class Model(BaseModel):
    """Frozen, no unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def checked_inferred(value: dict[str, str], keys: Sequence[str], what: str, item: str = "") -> dict[str, str]:
    """An ``inferred`` mapping whose keys are among ``keys`` (a rule's parameters, a declaration's keys), each noted.

    >>> checked_inferred({"counting": "原文未说明"}, ["counting", "per"], "本规则的参数", "参数")
    {'counting': '原文未说明'}
    """
    for name, note in value.items():
        if name not in keys:
            raise ValueError(f"inferred 的键「{name}」不是{what}{did_you_mean(name, keys)}（可写：{'、'.join(keys)}）")
        if not note.strip():
            raise ValueError(f"inferred 中{item}「{name}」的推断依据不能为空")
    return value


class RuleBase(Model):
    """What every rule has: id, official wording (规则原文), provenance, applicability."""

    id: str = Field(description="规则的稳定 id（如 A1.2.r1），追踪、报错、测试和比较都用它")
    wording: str = Field(description="规则原文：官方评分标准的原话（推断的规则写推断出的表述），原样出现在扣分记录中")
    provenance: Literal["official", "inferred"] = Field(
        description="official：官方原文；inferred：推断（必须写 note 说明依据）")
    note: str | None = Field(default=None, description="说明；推断的规则在此写推断依据与可信度，报告中列为“依据”")
    source: str | None = Field(default=None, description="规则出处（文件名、条款）")
    applicable_if: str | None = Field(
        default=None,
        description="布尔事实名：为“否”时本指标不适用（按 not_applicable 处理）")
    not_applicable: Literal["full_marks", "exclude"] = Field(
        default="full_marks",
        description="不适用时：full_marks 按满分计；exclude 不计分，分值从上级扣除")
    monotonic: Direction | None = Field(
        default=None,
        description="声明得分随事实单调的方向（increasing 或 decreasing），fuzz 据此检查")
    kind: str = Field(
        description="规则类型：proportional、per_point、step、bands、checklist、comparison、per_count、judgement、targets、adjustmen"
                    "t")
    # at the default the key stays out of the canonical policy, so existing digests do not change
    inferred: dict[str, str] = Field(
        default_factory=dict, exclude_if=lambda v: not v,
        description="规则原文为官方、但个别参数是推断时，按参数名写推断依据，"
                    "如 {counting: 原文未说明不足1个百分点如何计}；报告在该规则旁列出，并计入推断条数")

    @field_validator("inferred")
    @classmethod
    def _inferred_names_parameters(cls, value: dict[str, str]) -> dict[str, str]:
        return checked_inferred(value, sorted(set(cls.model_fields) - NOT_PARAMETERS), "本规则的参数", "参数")

    @model_validator(mode="after")
    def _inferred_needs_note(self) -> RuleBase:
        if self.provenance == "inferred" and not self.note:
            raise ValueError("provenance 为 inferred 的规则必须写 note，说明推断依据")
        return self


@dataclass(frozen=True, slots=True)
class FactRef:
    """A fact a rule names directly: where (relative to the rule), which, and the types it may have."""

    path: Path
    fact: str
    types: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Choice:
    """Two facts a fact file states together: for each value of the enum ``of``, the interval ``fact`` lies in.

    A judgement's tier and coefficient: fuzzing draws the tier first, then the coefficient inside its range.
    """

    of: str
    fact: str
    within: tuple[tuple[str, Interval], ...]


class Compiling(Protocol):
    """What compile offers a kind while it plans one rule; paths are relative to the rule."""

    @property
    def weight(self) -> Decimal | None:
        """The indicator's maximum (分值), ``None`` for 加减分."""
        ...

    def locate(self, path: Path) -> SourceLocation:
        """Where ``path`` is in the policy file."""
        ...

    def interval(self, text: str, path: Path) -> Interval | None:
        """``text`` parsed as an interval; ``None`` (already reported) if it is not one."""
        ...

    def expression(self, text: str, path: Path) -> expr.Expr | None:
        """``text`` parsed as an expression; ``None`` (already reported) if it is not one."""
        ...

    def fact(self, name: str) -> FactSpec | None:
        """The declared fact, ``None`` if undeclared (already reported)."""
        ...

    def problem(self, code: ErrorCode, path: Path, message: str) -> None:
        """Report a problem at ``path``."""
        ...

    def label(self, name: str) -> str:
        """The policy's word for ``name`` (``policy.labels``: ``coefficient`` → 评定系数 or 得分系数)."""
        ...


Firing = tuple["Target | None", tuple[Branch, ...]]
Fired = Sequence[Sequence[Firing]]  # per probe of the rule, per message: the branches that fired


class NoMatch(Exception):
    """No case of the rule holds for the facts (evaluate reports it with the facts read)."""


class Ambiguous(Exception):
    """Several cases of the rule hold at once (overlapping bands: a bug the checks should prevent)."""

    def __init__(self, names: Iterable[str]) -> None:
        """Name the branches that fired."""
        self.names = tuple(sorted(names))
        super().__init__("、".join(self.names))


class RulePlan(ABC):
    """One rule compiled once: what every stage asks of a rule kind, answered with plain data."""

    __slots__ = ()

    @abstractmethod
    def probes(self) -> tuple[Probe, ...]:
        """The firing conditions (unscaled, before applicability): one probe per message kind."""

    @abstractmethod
    def reads(self) -> tuple[str, ...]:
        """The facts the rule reads directly, in a stable order (applicability aside)."""

    @abstractmethod
    def score(self, weight: Decimal, fired: Fired, facts: Facts) -> Outcome:
        """The exact score from the branches that fired (per probe, per message).

        Raises:
            NoMatch: no case holds. Ambiguous: several do.
        """

    def points(self, weight: Decimal, fired: Fired, facts: Facts) -> Decimal:
        """The exact score :meth:`score` gives, without its explanation (read first; the explanation when asked).

        A kind whose explanation costs more than its arithmetic overrides this with the arithmetic alone,
        raising as :meth:`score` does; ``tests/unit/test_points.py`` holds every kind to ``score(...).score``.
        """
        return self.score(weight, fired, facts).score

    @abstractmethod
    def invert(self, deduction: Deduction, weight: Decimal, facts: Known) -> Change | Plain:
        """The smallest change of one fact that recovers ``deduction``, or why there is none."""

    @abstractmethod
    def edges(self) -> Iterator[tuple[str, Decimal]]:
        """``(fact, value)`` at which the rule changes branch (for fuzzing)."""

    @abstractmethod
    def scalar(self) -> str | None:
        """The one numeric fact the branch depends on, if there is exactly one."""

    @abstractmethod
    def expected(self, value: Decimal) -> str | None:
        """The branch exact ``Decimal`` comparison selects for ``value`` of :meth:`scalar` (the oracle)."""

    @abstractmethod
    def direction(self) -> Direction | None:
        """The rule's natural monotonicity in :meth:`scalar`, if it has one."""

    def exact_facts(self) -> tuple[str, ...]:
        """Facts the rule compares unrounded (``compare: exact``); most rules compare the rounded value."""
        return ()

    def choices(self) -> tuple[Choice, ...]:
        """Facts a valid fact file must choose together (for fuzzing); most kinds have none."""
        return ()

    def part_reads(self, part: Part, reads: tuple[FactRead, ...], facts: Facts) -> tuple[FactRead, ...]:
        """The facts one deduction shows (an item shows only its own fact)."""
        return reads

    def label(self, branch: Branch) -> str:
        """A Chinese label for a branch (coverage)."""
        return branch.label()


class Kind(ABC):
    """A rule kind: its name, Chinese label, pydantic model, cases, and how to plan one rule."""

    name: ClassVar[str]
    label: ClassVar[str]
    model: ClassVar[type[RuleBase]]
    cases: ClassVar[type[Case]]
    adjusts_total: ClassVar[bool] = False  # 加减分: outside the weighted tree, a gain is a negative deduction

    @abstractmethod
    def fact_refs(self, rule: RuleBase) -> Iterator[FactRef]:
        """Every fact the rule names directly, with the types it may have (applicability aside)."""

    @abstractmethod
    def plan(self, rule: RuleBase, ctx: Compiling) -> RulePlan | None:
        """Parse, check and plan one rule; ``None`` when a part failed to parse (already reported)."""


_SEEN, _GAP = Marker.SEEN, Marker.GAP  # bound once (engine.firing.conditions: _SEEN)


def only(fired: Fired) -> tuple[Branch, ...]:
    """The branches that fired for the one message of a one-probe rule."""
    ((_, branches),) = fired[0]
    return branches


def one(branches: tuple[Branch, ...]) -> Branch:
    """The single case that holds.

    Raises:
        NoMatch: none holds, or only a gap does. Ambiguous: several hold.
    """
    if len(branches) == 1:  # the usual answer, taken without building the list below
        (branch,) = branches
        if branch.case is not _SEEN and branch.case is not _GAP:  # is_marker(), is_gap()
            return branch
    cases = [b for b in branches if not b.is_marker()]
    if not cases or any(b.is_gap() for b in cases):
        raise NoMatch
    if len(cases) > 1:
        raise Ambiguous(b.name for b in cases)
    return cases[0]


def the_case(fired: Fired) -> Branch:
    """The single case that holds for the one message of a one-probe rule: :func:`one` of :func:`only`, in one call.

    Raises:
        NoMatch: none holds, or only a gap does. Ambiguous: several hold.
    """
    ((_, branches),) = fired[0]
    if len(branches) == 1:  # the usual answer (see one)
        (branch,) = branches
        if branch.case is not _SEEN and branch.case is not _GAP:
            return branch
    return one(branches)


def number(facts: Facts, name: str) -> Decimal:
    """A numeric fact's value."""
    value = facts.values[name].value
    assert isinstance(value, Decimal)
    return value


def unit(facts: Facts, name: str) -> str:
    """The unit a computation shows right after a number: ``%`` or nothing."""
    return "%" if facts.values[name].unit == "%" else ""
