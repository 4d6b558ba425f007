"""Input limits: every bound on what one policy or fact file may hold, in one place (stage: load).

A hostile or broken file must get a located ``limit.*`` error long before it can exhaust time or
memory, so each stage that reads input checks the limit that belongs to it: the file reader
(``engine.loader``), the YAML builder (``engine.source``), the number reader, the expression
parser (``engine.expr``) and the size checks on whole documents. The values are far above what a
real 指标体系 or 事实文件 needs (the bundled policy has about 60 indicators, 50 facts, 1,100 YAML
nodes, depth 12; its longest expression has 40 characters), and ``docs/limits.md`` lists them.

>>> FILE_BYTES, NUMBER_DIGITS, EXPR_DEPTH
(4000000, 100, 50)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ALIASES", "DEPTH", "DOCUMENTS", "EXPR_CHARS", "EXPR_DEPTH", "FACTS", "FILE_BYTES", "INDICATORS",
    "KEY_CHARS", "LIMITS", "LIST_ITEMS", "NODES", "NUMBER_DIGITS", "NUMBER_EXPONENT", "ROUND_PLACES", "SCALAR_CHARS",
    "TARGETS", "Limit",
]

FILE_BYTES = 4_000_000
"""Bytes in one file read from disk (the service's request body limit is of the same order)."""
DOCUMENTS = 1
"""YAML documents in one file (``---`` starts another)."""
NODES = 50_000
"""YAML nodes in one file, counting every node an alias expands to (bounds "billion laughs")."""
DEPTH = 64
"""Nesting depth of mappings and sequences in one file."""
ALIASES = 100
"""Alias uses (``*name``) in one file."""
SCALAR_CHARS = 20_000
"""Characters in one scalar (a wording, a note, a quote)."""
KEY_CHARS = 200
"""Characters in one mapping key (a fact name, a field name)."""
NUMBER_DIGITS = 100
"""Digits written in one number (before any exponent)."""
NUMBER_EXPONENT = 24
"""Order of magnitude of a number: ``1e-24`` ≤ |x| < ``1e25`` (zero aside); derived values too."""
EXPR_CHARS = 1_000
"""Characters in one expression (``derive``, ``when`` of a case or a constraint)."""
EXPR_DEPTH = 50
"""Nesting depth of one expression: brackets, calls and chained operators (``a + b + c`` is 2)."""
ROUND_PLACES = 10
"""Largest ``places`` argument of ``round(x, places)`` / ``trunc(x, places)``, as for ``rounding``."""
INDICATORS = 1_000
"""Indicators in one policy, at every level together."""
FACTS = 1_000
"""Facts declared by one policy, and facts stated in one fact file."""
TARGETS = 200
"""Targets in one ``targets`` fact (绩效目标清单)."""
LIST_ITEMS = 300
"""Entries in one list of a policy: bands, cases, checklist items or tiers of a rule; grades; constraints;
the values of an enum fact. (Checking bands for gaps and overlaps compares them pairwise.)"""


@dataclass(frozen=True, slots=True)
class Limit:
    """One limit as documented: its error code, its value and what it bounds (Chinese)."""

    code: str
    value: int
    what: str


LIMITS: tuple[Limit, ...] = (
    Limit("limit.file_size", FILE_BYTES, "单个文件的字节数"),
    Limit("limit.documents", DOCUMENTS, "单个文件中的 YAML 文档数"),
    Limit("limit.nodes", NODES, "单个文件中的 YAML 节点数（别名展开后计）"),
    Limit("limit.depth", DEPTH, "映射和列表的嵌套层数"),
    Limit("limit.aliases", ALIASES, "别名（*名称）的使用次数"),
    Limit("limit.scalar_length", SCALAR_CHARS, "单个标量值的字符数"),
    Limit("limit.key_length", KEY_CHARS, "单个键（事实名、字段名）的字符数"),
    Limit("limit.number_digits", NUMBER_DIGITS, "一个数字的位数（指数之前）"),
    Limit("limit.number_range", NUMBER_EXPONENT, "数值的数量级：1e-24 ≤ |x| < 1e25（0 除外），派生值同样"),
    Limit("limit.expr_length", EXPR_CHARS, "单个表达式的字符数"),
    Limit("limit.expr_depth", EXPR_DEPTH, "单个表达式的嵌套层数（括号、函数调用、连续运算）"),
    Limit("expr.argument", ROUND_PLACES, "round / trunc 的小数位数参数上限"),
    Limit("limit.indicators", INDICATORS, "一个指标体系中的指标总数（各级合计）"),
    Limit("limit.facts", FACTS, "一个指标体系声明的事实数、一个事实文件填报的事实数"),
    Limit("limit.targets", TARGETS, "一项目标清单（targets）中的目标数"),
    Limit("limit.list_items", LIST_ITEMS,
          "指标体系中一个列表的条目数：规则的档次、情形、检查项、评定档次，等级，约束，枚举的可选值"),
)
