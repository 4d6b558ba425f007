"""Records built on the hot path (``engine.records``) are the records their constructors make."""

from __future__ import annotations

import dataclasses
import pickle
from decimal import Decimal

import pytest

from engine.errors import SourceLocation
from engine.records import deduction, fact_read, indicator_score, result
from engine.trace import Deduction, FactRead, Finding, IndicatorScore, Result, Status, TableFact

WHERE = SourceLocation("p.yaml", 3, 5)
READ = ("预算完成率", Decimal("99.66"), "%", WHERE, None, "原文", "附件2", None, (("quote", "摘录"),))
CUT = ("A1.1", ("A", "A1"), "A1.1.r1", "per_point", "每低1个百分点扣0.2分", "official", (FactRead(*READ),),
       "5 − 0.2 × (100% − 99.66%) = 4.932", "低于 100% 起扣", Decimal("0.068"), False, False, WHERE, None, False,
       None, False, ())
NODE = ("A1.1", "预算完成率", Decimal(5), Decimal("4.932"), Status.SCORED, (), (Deduction(*CUT),), "…", WHERE, None,
        True)
RESULT = ("gz-dept", "广州市部门整体支出绩效评价", "2021.1", "ab" * 32, "广州市科学技术局", "facts/gz.yaml", "cd" * 32,
          Decimal(100), Decimal("94.622"), "优", (IndicatorScore(*NODE),), 0, 3, 1,
          (Finding("facts.warning", "提示", WHERE, "facts.x"),), Decimal(100), None, "部门整体支出绩效自评",
          (TableFact("表1", "万元", ("行",), ("列",), ((Decimal(1),),)),), 2, None)


@pytest.mark.parametrize(("build", "record", "values"), [
    (fact_read, FactRead, READ), (deduction, Deduction, CUT), (indicator_score, IndicatorScore, NODE),
    (result, Result, RESULT)])
def test_a_built_record_is_the_record_its_constructor_makes(build, record, values):
    built, made = build(*values), record(*values)
    assert type(built) is record and built == made and hash(built) == hash(made) and repr(built) == repr(made)
    assert pickle.loads(pickle.dumps(built)) == made and dataclasses.replace(built) == made
    assert [f.name for f in dataclasses.fields(built)] == list(record.__slots__)
    for field in dataclasses.fields(built):  # frozen: every field refuses a change
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(built, field.name, None)
