"""The Python limit: policies/gz-dept-2021.yaml scored by hand-written ``Decimal`` code, no engine.

Every rule of the Guangzhou policy is written out as the branches jixiao compiles it into (the same
thresholds, the same closed or open edges), each scored indicator is rounded to 3 places half up
(四舍五入, ``rounding.score``) and inner indicators sum the rounded scores, under the context jixiao
evaluates in (34 digits, ``ROUND_HALF_UP``). No explanation is built: this is the least work that
gives the same numbers, the ceiling any Python scorer of this job can reach.

The input is a plain mapping from fact name to value (``Decimal``, ``bool``, or for 部门整体绩效目标 a
sequence of ``(target, actual, direction)``), read from the facts jixiao validated, so that every peer
scores the same values. The benchmark checks the output against the engine before timing it
(bench/peers.py), and tests/unit/test_bench_peers.py checks it on every branch.

:func:`score_traced` does the same job as jixiao's full trace, by hand: the same scores and, for every
lost point, a deduction record (indicator id, rule id, checklist item or target, points rounded as the
engine rounds each part, the rounding residue when parts do not add up, the threshold text, the facts
read and the computation with the numbers substituted). It is what "native full trace ÷ plain Decimal"
compares against; :func:`score` (scores only) is printed beside it.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, NamedTuple

__all__ = ["Deduction", "score", "score_traced"]

ZERO = Decimal(0)
TARGET_NAMES = "部门整体绩效目标·名称"  # score_traced's input also names each target (its deductions do)
PLACES = Decimal("0.001")  # rounding.score: places 3, half_up
CONTEXT = decimal.Context(prec=34, rounding=decimal.ROUND_HALF_UP, traps=[decimal.InvalidOperation,
                                                                       decimal.DivisionByZero, decimal.Overflow])


def _round(value: Decimal) -> Decimal:
    rounded = value.quantize(PLACES)
    return rounded.copy_abs() if rounded.is_zero() else rounded  # never −0.000


def score(facts: Mapping[str, Any]) -> dict[str, Decimal]:
    """Indicator id → score, and ``"total"``, for one department's facts (the seed's total: 94.622)."""
    with decimal.localcontext(CONTEXT):
        # A1 资金管理
        v = facts["预算完成率"]  # per_point below 100, 0.2 a point, 扣完为止 at 75
        a11 = _round(Decimal(5) if v >= 100 else ZERO if v <= 75 else 5 - Decimal("0.2") * (100 - v))
        v = facts["财政拨款收入预决算差异率"]  # per_point above 5, 1 a point, 扣完为止 at 11
        a12 = _round(Decimal(6) if v <= 5 else ZERO if v >= 11 else 6 - 1 * (v - 5))
        v = facts["一般公共预算支出年度平均执行率"]  # proportional, full at 100
        a13 = _round(Decimal(5) if v >= 100 else max(5 * v / 100, ZERO))
        a14 = _round(Decimal(2) if facts["结转结余率"] <= 5 else ZERO)  # bands ≤ 5 | > 5
        a15 = _round(Decimal(2) if facts["预算编制报送及时准确"] else ZERO)
        a1 = a11 + a12 + a13 + a14 + a15
        # A2 采购管理
        v = facts["政府采购执行率"]
        a21 = _round(Decimal(2) if v >= 100 else max(2 * v / 100, ZERO))
        # A3 信息公开管理
        a31 = _round(Decimal(2) if facts["预决算信息公开"] else ZERO)
        a32 = _round(Decimal(2) if facts["绩效信息公开"] else ZERO)
        # A4 资产管理
        a41 = _round(Decimal(2) if facts["资产账实相符"] else ZERO)
        v = facts["固定资产使用率"]  # bands ≥ 90 | [80, 90) | < 80
        a42 = _round(Decimal(3) if v >= 90 else Decimal("1.5") if v >= 80 else ZERO)
        # A5 成本管理
        v = facts["公用经费控制率"]  # per_point above 100, 0.5 a point, 扣完为止 at 104
        a51 = _round(Decimal(2) if v <= 100 else ZERO if v >= 104 else 2 - Decimal("0.5") * (v - 100))
        v = facts["三公经费控制率"]  # per_point above 100, 1 a point, 扣完为止 at 102
        a52 = _round(Decimal(2) if v <= 100 else ZERO if v >= 102 else 2 - 1 * (v - 100))
        # A6 绩效管理
        v = facts["绩效目标完成率"]
        a61 = _round(Decimal(10) if v >= 100 else max(10 * v / 100, ZERO))
        a62 = _round((Decimal(3) if facts["绩效运行监控及自评报送"] else ZERO)
                     + (Decimal(2) if facts["绩效结果应用"] else ZERO))
        # B 履职效能
        targets = facts["部门整体绩效目标"]
        share = Decimal(50) / len(targets)
        b1 = ZERO
        for target, actual, direction in targets:  # met in full, else 完成值与指标值的比例
            if direction == "higher":
                b1 += share if actual >= target else max(share * actual / target, ZERO) if target else share
            else:
                b1 += share if actual <= target else max(share * target / actual, ZERO)
        b1 = _round(b1)
        v = facts["工作表现加减分"]  # adjustment within [−5, 5]
        b2 = _round(Decimal(5) if v > 5 else Decimal(-5) if v < -5 else v)
        a2, a3, a4, a5, a6 = a21, a31 + a32, a41 + a42, a51 + a52, a61 + a62
        a = ZERO + a1 + a2 + a3 + a4 + a5 + a6
        b = ZERO + b1 + b2
        total = a + b
        return {
            "A": a, "A1": a1, "A1.1": a11, "A1.2": a12, "A1.3": a13, "A1.4": a14, "A1.5": a15,
            "A2": a2, "A2.1": a21, "A3": a3, "A3.1": a31, "A3.2": a32, "A4": a4, "A4.1": a41, "A4.2": a42,
            "A5": a5, "A5.1": a51, "A5.2": a52, "A6": a6, "A6.1": a61, "A6.2": a62,
            "B": b, "B1": b1, "B2": b2, "total": total.copy_abs() if total.is_zero() else total,
        }


class Deduction(NamedTuple):
    """One lost point's record: the numbers jixiao's trace carries, as a hand-written scorer keeps them."""

    indicator_id: str
    rule_id: str
    item: str | None
    points: Decimal
    threshold: str | None
    facts: tuple[tuple[str, object], ...]
    computation: str


def _s(value: Decimal) -> str:
    """A decimal as a report prints it: no trailing zeros, − for minus."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace("-", "−")


def _per_point(out: list[Deduction], ind: str, weight: Decimal, v: Decimal, name: str, threshold: Decimal,
               points: Decimal, above: bool, floor_at: Decimal) -> Decimal:
    """A per_point rule with a floor at 0: the score, and its deduction when points are lost."""
    if (v <= threshold) if above else (v >= threshold):
        return _round(weight)
    excess = v - threshold if above else threshold - v
    raw = weight - points * excess
    gap = f"({_s(v)}% − {_s(threshold)}%)" if above else f"({_s(threshold)}% − {_s(v)}%)"
    text = f"{_s(weight)} − {_s(points)} × {gap} = {_s(raw)}"
    zeroed = (v >= floor_at) if above else (v <= floor_at)
    if zeroed:
        text += "，扣完为止，得 0"
        raw = ZERO
    score = _round(raw)
    if score != raw:
        text += f" → {_s(score)}（四舍五入至 3 位）"
    side = "超过" if above else "低于"
    _lost(out, ind, f"{ind}.r1", None, weight - score, f"{side} {_s(threshold)}% 起扣", ((name, v),), text)
    return score


def _proportional(out: list[Deduction], ind: str, weight: Decimal, v: Decimal, name: str) -> Decimal:
    if v >= 100:
        return _round(weight)
    raw = max(weight * v / 100, ZERO)
    score = _round(raw)
    text = f"{_s(weight)} × {_s(v)}% ÷ 100% = {_s(raw)}"
    if score != raw:
        text += f" → {_s(score)}（四舍五入至 3 位）"
    _lost(out, ind, f"{ind}.r1", None, weight - score, "满分线 100%", ((name, v),), text)
    return score


def _band(out: list[Deduction], ind: str, weight: Decimal, v: Decimal, name: str,
          bands: tuple[tuple[bool, Decimal, str], ...]) -> Decimal:
    for holds, points, label in bands:
        if holds:
            score = _round(points)
            if score != weight:
                _lost(out, ind, f"{ind}.r1", None, weight - score, label, ((name, v),),
                      f"{_s(v)}% 属于档次 {label}，得 {_s(points)}")
            return score
    raise ValueError(f"{ind}: {v} in no band")


def _checklist(out: list[Deduction], ind: str, items: tuple[tuple[str, str, Decimal, bool], ...]) -> Decimal:
    total, texts, parts = ZERO, [], []
    for item, name, points, met in items:
        if met:
            total += points
            texts.append(f"「{name}」= 是，得 {_s(points)} 分")
        else:
            texts.append(f"「{name}」= 否，未得 {_s(points)} 分")
            parts.append((item, name, points, texts[-1]))
    text = "；".join(texts) + f"；合计 {_s(total)}"
    for item, name, points, part_text in parts:
        _lost(out, ind, f"{ind}.r1", item, _round(points), "须为“是”", ((name, False),),
              text if len(parts) == 1 else part_text)
    return _round(total)


def _lost(out: list[Deduction], ind: str, rule: str, item: str | None, points: Decimal, threshold: str | None,
          facts: tuple[tuple[str, object], ...], text: str) -> None:
    if points:
        out.append(Deduction(ind, rule, item, points, threshold, facts, text))


def _targets(out: list[Deduction], weight: Decimal, targets: Any, names: Any) -> Decimal:
    share = weight / len(targets)
    total, parts, texts = ZERO, [], []
    for (target, actual, direction), name in zip(targets, names, strict=True):
        if direction == "higher":
            got = share if actual >= target else max(share * actual / target, ZERO) if target else share
            text = (f"「{name}」完成 {_s(actual)} / 指标 {_s(target)}："
                    f"{_s(share)} × {_s(actual)} ÷ {_s(target)} = {_s(got)}")
        else:
            got = share if actual <= target else max(share * target / actual, ZERO)
            text = (f"「{name}」完成 {_s(actual)} / 指标 {_s(target)}（越低越好）："
                    f"{_s(share)} × {_s(target)} ÷ {_s(actual)} = {_s(got)}")
        total += got
        texts.append(text)
        if got != share:
            parts.append((name, share - got, f"指标值 {_s(target)}", text))
    score = _round(total)
    lost = weight - score
    read = (("部门整体绩效目标", f"{len(targets)} 项目标"),)
    if len(parts) == 1:
        name, _, threshold, text = parts[0]
        _lost(out, "B1", "B1.r1", name, lost, threshold, read, text)
        return score
    rounded = [_round(points) for _, points, _, _ in parts]
    for (name, _, threshold, text), points in zip(parts, rounded, strict=True):
        _lost(out, "B1", "B1.r1", name, points, threshold, read, text)
    residue = lost - sum(rounded, ZERO)
    _lost(out, "B1", "B1.r1", None, residue, None, read, f"各项扣分按 3 位舍入后的差额 {_s(residue)}")
    return score


def score_traced(facts: Mapping[str, Any]) -> tuple[dict[str, Decimal], list[Deduction]]:
    """:func:`score`'s figures and every deduction, in policy order (the job of jixiao's full trace)."""
    out: list[Deduction] = []
    f = facts
    with decimal.localcontext(CONTEXT):
        a11 = _per_point(out, "A1.1", Decimal(5), f["预算完成率"], "预算完成率", Decimal(100), Decimal("0.2"), False,
                         Decimal(75))
        name = "财政拨款收入预决算差异率"
        a12 = _per_point(out, "A1.2", Decimal(6), f[name], name, Decimal(5), Decimal(1), True, Decimal(11))
        name = "一般公共预算支出年度平均执行率"
        a13 = _proportional(out, "A1.3", Decimal(5), f[name], name)
        v = f["结转结余率"]
        a14 = _band(out, "A1.4", Decimal(2), v, "结转结余率", ((v <= 5, Decimal(2), "(-∞, 5]"),
                                                              (v > 5, ZERO, "(5, +∞)")))
        a15 = _checklist(out, "A1.5", (("timely", "预算编制报送及时准确", Decimal(2), f["预算编制报送及时准确"]),))
        a21 = _proportional(out, "A2.1", Decimal(2), f["政府采购执行率"], "政府采购执行率")
        a31 = _checklist(out, "A3.1", (("published", "预决算信息公开", Decimal(2), f["预决算信息公开"]),))
        a32 = _checklist(out, "A3.2", (("published", "绩效信息公开", Decimal(2), f["绩效信息公开"]),))
        a41 = _checklist(out, "A4.1", (("matched", "资产账实相符", Decimal(2), f["资产账实相符"]),))
        v = f["固定资产使用率"]
        a42 = _band(out, "A4.2", Decimal(3), v, "固定资产使用率", ((v >= 90, Decimal(3), "[90, +∞)"),
                                                                 (80 <= v < 90, Decimal("1.5"), "[80, 90)"),
                                                                 (v < 80, ZERO, "(-∞, 80)")))
        a51 = _per_point(out, "A5.1", Decimal(2), f["公用经费控制率"], "公用经费控制率", Decimal(100), Decimal("0.5"),
                         True, Decimal(104))
        a52 = _per_point(out, "A5.2", Decimal(2), f["三公经费控制率"], "三公经费控制率", Decimal(100), Decimal(1), True,
                         Decimal(102))
        a61 = _proportional(out, "A6.1", Decimal(10), f["绩效目标完成率"], "绩效目标完成率")
        a62 = _checklist(out, "A6.2", (("monitor", "绩效运行监控及自评报送", Decimal(3), f["绩效运行监控及自评报送"]),
                                       ("apply", "绩效结果应用", Decimal(2), f["绩效结果应用"])))
        b1 = _targets(out, Decimal(50), f["部门整体绩效目标"], f[TARGET_NAMES])
        v = f["工作表现加减分"]
        b2 = _round(Decimal(5) if v > 5 else Decimal(-5) if v < -5 else v)
        text = f"加减分 {_s(v)}" + ("" if b2 == v else f" 超过{'加' if v > 0 else '减'}分上限 5，按 {_s(b2)} 计")
        _lost(out, "B2", "B2.r1", None, -b2, "[−5, 5]", (("工作表现加减分", v),), text)
        a1, a2, a3, a4, a5, a6 = a11 + a12 + a13 + a14 + a15, a21, a31 + a32, a41 + a42, a51 + a52, a61 + a62
        a = ZERO + a1 + a2 + a3 + a4 + a5 + a6
        b = ZERO + b1 + b2
        total = a + b
        return {
            "A": a, "A1": a1, "A1.1": a11, "A1.2": a12, "A1.3": a13, "A1.4": a14, "A1.5": a15,
            "A2": a2, "A2.1": a21, "A3": a3, "A3.1": a31, "A3.2": a32, "A4": a4, "A4.1": a41, "A4.2": a42,
            "A5": a5, "A5.1": a51, "A5.2": a52, "A6": a6, "A6.1": a61, "A6.2": a62,
            "B": b, "B1": b1, "B2": b2, "total": total.copy_abs() if total.is_zero() else total,
        }, out
