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
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = ["score"]

ZERO = Decimal(0)
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
