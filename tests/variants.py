"""Fact files for the seed department with some values changed (text edits keep every other line)."""

from __future__ import annotations

from decimal import Decimal

from tests.conftest import GZ_FACTS

SEED_TEXT = GZ_FACTS.read_text(encoding="utf-8")
# facts the Guangzhou rules read directly (no derived fact depends on them), with their declared range
VARIABLE = {
    "预算完成率": (Decimal(0), Decimal(200)),
    "财政拨款收入预决算差异率": (Decimal(0), Decimal(100)),
    "一般公共预算支出年度平均执行率": (Decimal(0), Decimal(200)),
    "结转结余率": (Decimal(0), Decimal(100)),
    "政府采购执行率": (Decimal(0), Decimal(200)),
    "工作表现加减分": (Decimal(-10), Decimal(10)),
}


def seed_with(values: dict[str, object]) -> str:
    """The seed fact file with the ``value:`` of each named fact replaced."""
    lines = SEED_TEXT.splitlines()
    for name, value in values.items():
        start = lines.index(f"  {name}:")
        at = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("    value:"))
        lines[at] = f"    value: {str(value).lower() if isinstance(value, bool) else value}"
    return "\n".join(lines) + "\n"


def variant(i: int) -> str:
    """A deterministic variant number ``i`` of the seed facts."""
    return seed_with({
        "预算完成率": Decimal(9000 + 37 * i % 1100) / 100,
        "政府采购执行率": Decimal(5000 + 53 * i % 7000) / 100,
        "财政拨款收入预决算差异率": Decimal(101 * i % 2000) / 100,
        "工作表现加减分": Decimal(i % 13 - 6) / 2,
    })
