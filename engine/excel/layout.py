"""The fact-entry workbook's layout: sheet names, column headers and accepted spellings (stage: load).

The template writes exactly this layout and the reader accepts exactly this layout, so the two
cannot drift apart. Columns are found by their header text in row 1, never by position: a user
may reorder or hide columns. A header maps to a fact-file key, or to ``None`` for a reference
column that the template fills from the policy and the reader ignores.
"""

from __future__ import annotations

__all__ = [
    "BOOLEAN_WORDS",
    "DIRECTIONS",
    "DIRECTION_LABELS",
    "FACTS",
    "FACT_COLUMNS",
    "FACT_REQUIRED",
    "GUIDE",
    "INFO",
    "INFO_COLUMNS",
    "INFO_FIELDS",
    "INFO_REFERENCE",
    "NAMES",
    "NAME_COLUMNS",
    "OPTIONS",
    "TABLE_MARK",
    "TABLE_UNIT",
    "TARGETS",
    "TARGET_COLUMNS",
    "TARGET_REQUIRED",
    "TYPE_LABELS",
    "table_sheet_name",
]

GUIDE = "填写说明"
INFO = "基本信息"
FACTS = "事实"
TARGETS = "绩效目标"
NAMES = "指标名称"
OPTIONS = "选项"  # hidden: the allowed values of enum facts, for the cells' drop-down lists

# 基本信息: one row per document field, labelled in column 项目
INFO_COLUMNS: tuple[tuple[str, str | None], ...] = (("项目", "label"), ("内容", "value"), ("说明", None))
INFO_FIELDS = {"单位名称": "department", "年度": "fiscal_year", "指标体系": "policy", "备注": "note"}
INFO_REFERENCE = ("指标体系名称", "指标体系版本", "指标体系摘要")  # written for the reader of the sheet

# 事实: one row per declared fact
FACT_COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("名称", "name"), ("类型", "type"), ("填报值", "value"), ("单位", "unit"), ("允许范围", None),
    ("说明", None), ("来源", "source"), ("原文摘录", "quote"), ("备注", "note"))
FACT_REQUIRED = ("名称", "类型", "填报值", "单位")

# 绩效目标: one row per target of a list fact (type targets); 事实 says which fact when there are several
TARGET_COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("事实", "fact"), ("目标名称", "name"), ("目标值", "target"), ("实际值", "actual"), ("方向", "direction"),
    ("单位", "unit"), ("原文摘录", "quote"))
TARGET_REQUIRED = ("目标名称", "目标值", "实际值", "方向")

# 指标名称: every indicator of the policy; a name filled in 本单位的名称 becomes indicator_names[id]
NAME_COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("指标编号", "id"), ("指标体系中的名称", None), ("本单位的名称", "name"))

# a table fact (type table) gets a sheet of its own: A1 holds TABLE_MARK + its name, B1 单位, C1 the unit;
# row 2 the column names (from B), then one row per table row, its name in A (the sheet's name is only a label)
TABLE_MARK = "表格："
TABLE_UNIT = "单位"
_SHEET_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))


def table_sheet_name(name: str, taken: set[str]) -> str:
    """A sheet name for a table fact: Excel's forbidden characters replaced, at most 31 characters, unique.

    >>> table_sheet_name("项目资金", set()), table_sheet_name("事实", {"事实"}), table_sheet_name("a/b", set())
    ('项目资金', '事实2', 'a_b')
    """
    base = name.translate(_SHEET_FORBIDDEN)[:31] or "表格"
    found, number = base, 1
    while found in taken:
        number += 1
        found = f"{base[:31 - len(str(number))]}{number}"
    return found


TYPE_LABELS = {"decimal": "数值", "integer": "整数", "boolean": "是/否", "enum": "枚举", "targets": "目标清单"}

# Accepted spellings, compared after stripping spaces and folding case. Excel's own logical values
# TRUE/FALSE (typed, or a formula's result) are booleans too.
BOOLEAN_WORDS = {"是": True, "否": False, "true": True, "false": False}
DIRECTION_LABELS = {"higher": "越高越好", "lower": "越低越好"}
DIRECTIONS = {**{label: key for key, label in DIRECTION_LABELS.items()}, "higher": "higher", "lower": "lower"}
