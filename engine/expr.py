"""Whitelisted policy expressions: text → frozen IR → ``Decimal`` (stage: compile / evaluate).

``parse`` runs ``ast.parse(text, mode="eval")`` and accepts only the node types below; anything
else is ``expr.not_allowed`` with its column inside the policy file. Literals are built from
their source text, never from the float ``ast`` made: plain decimals only (no hex, octal,
binary, ``_`` or complex), within the number limits. Nothing is ever ``eval``-ed.
Fact names that are not identifiers (``"三公经费"控制率``) are written as ``「…」``.

Before ``ast.parse`` sees the text, its length, bracket depth and runs of signs are bounded
(``engine.input_limits``), and the parsed tree's depth is measured without recursion, so the
recursive passes below (convert, evaluate, render) stay far from Python's recursion limit.
Calls are checked for their arity, and a comparison is never an operand of arithmetic, so
evaluation cannot fail on the shape of an expression.

Names are compared exactly as written, as everywhere else in jixiao: Python's parser folds an
identifier to NFKC (``Ａ`` → ``A``), so the name is read back from the source text instead, and
``Ａ类资金`` can only mean the fact declared as ``Ａ类资金``.
"""  # noqa: RUF002 - the paragraph is about a full-width letter

from __future__ import annotations

import ast
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, DivisionByZero, InvalidOperation

from engine import decimals, input_limits
from engine.errors import ErrorCode, JixiaoError, SourceLocation, did_you_mean

__all__ = [
    "BinOp", "BoolOp", "Call", "Compare", "Expr", "ExprDivisionByZero", "Name", "Num", "Unary",
    "evaluate", "free_names", "parse", "render",
]

FUNCTIONS = ("abs", "max", "min", "round", "trunc")
_QUOTED = re.compile(r"「([^」]+)」")
_LITERAL = re.compile(r"([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")
_SIGNS = re.compile(r"[-+](?:\s*[-+])*")
_WORD = re.compile(r"[\w.．]+")  # noqa: RUF001 - a full-width point inside a number is reported
_ARITY = {"abs": (1, 1, "恰好 1 个参数"), "max": (2, None, "至少 2 个参数"), "min": (2, None, "至少 2 个参数"),
          "round": (2, 2, "恰好 2 个参数（值, 小数位数）"), "trunc": (2, 2, "恰好 2 个参数（值, 小数位数）")}
_NOT_NUMBERS = {"boolean": "布尔值", "enum": "枚举值", "targets": "目标清单", "table": "表格"}
_BIN = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_CMP = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_SHOW = {"+": "+", "-": "−", "*": "×", "/": "÷", "<": "<", "<=": "≤", ">": ">", ">=": "≥",
         "==": "=", "!=": "≠", "and": "且", "or": "或"}


@dataclass(frozen=True, slots=True)
class Num:
    """A decimal literal."""

    value: Decimal


@dataclass(frozen=True, slots=True)
class Name:
    """A declared fact."""

    name: str


@dataclass(frozen=True, slots=True)
class Unary:
    """Unary minus."""

    operand: Expr


@dataclass(frozen=True, slots=True)
class BinOp:
    """``+ - * /``."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Compare:
    """One comparison ``left op right``."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class BoolOp:
    """``and`` / ``or`` over comparisons."""

    op: str
    values: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Call:
    """A call of one of :data:`FUNCTIONS`."""

    func: str
    args: tuple[Expr, ...]


Expr = Num | Name | Unary | BinOp | Compare | BoolOp | Call


class ExprDivisionByZero(ArithmeticError):
    """Raised by :func:`evaluate` with the divisor sub-expression."""

    def __init__(self, node: BinOp) -> None:
        """Keep the division that failed."""
        super().__init__("division by zero")
        self.node = node


def parse(text: str, where: SourceLocation, names: Iterable[str], *, field: str = "",
          types: Mapping[str, str] | None = None) -> Expr:
    """Parse ``text`` into IR, allowing only declared ``names``.

    ``where`` is the position of the expression's first character in its file; errors add the
    column inside the expression. ``types`` (a declared type per name) refuses, where it stands,
    a name whose value is not a number (a boolean, enum, targets list or a whole table).
    A table's cell is written ``表[行][列]`` and read as the fact of that name.

    >>> loc = SourceLocation("p.yaml", 1, 1)
    >>> parse("a / b * 100", loc, ["a", "b"])
    BinOp(op='*', left=BinOp(op='/', left=Name(name='a'), right=Name(name='b')), right=Num(value=Decimal('100')))
    >>> parse("资金[拨款][执行数] + 1", loc, ["资金[拨款][执行数]"])
    BinOp(op='+', left=Name(name='资金[拨款][执行数]'), right=Num(value=Decimal('1')))
    >>> parse("__import__('os')", loc, ["a"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    engine.errors.JixiaoError: p.yaml:1:1: expr.not_allowed: 不允许调用「__import__」，只允许 abs、max、...
    """
    names = set(names)
    quoted: dict[str, str] = {}

    def _quote(match: re.Match[str]) -> str:
        key = f"_q{len(quoted)}".ljust(len(match.group(0)), "_")
        quoted[key] = match.group(1)
        return key

    if len(text) > input_limits.EXPR_CHARS:
        raise JixiaoError(ErrorCode.LIMIT_EXPR_LENGTH,
                          f"表达式有 {len(text)} 个字符，超过上限 {input_limits.EXPR_CHARS}", where, field)
    source = _QUOTED.sub(_quote, text)  # same length: columns stay those of the text
    _check_digits(source, where, field)
    _check_shape(source, where, field)
    try:
        tree = ast.parse(source.strip() and source, mode="eval")
    except SyntaxError as err:
        col = (err.offset or 1) - 1 if err.lineno in (None, 1) else 0
        raise JixiaoError(ErrorCode.EXPR_SYNTAX, f"表达式语法错误：{text}",
                          _at(where, col), field) from None
    except (RecursionError, MemoryError, ValueError):  # the checks above keep ast.parse far from these
        raise JixiaoError(ErrorCode.LIMIT_EXPR_DEPTH, "表达式过于复杂，无法解析", where, field) from None
    converter = _Converter(source, where, names, quoted, field, types or {})
    converter.check_depth(tree.body)
    return converter.convert(tree.body)


def _check_digits(source: str, where: SourceLocation, field: str) -> None:
    """A number written with full-width or other-script digits (``１００``), before Python's tokenizer sees it."""  # noqa: RUF002
    for word in _WORD.finditer(source):
        head = word.group()[0]
        if not head.isascii() and unicodedata.decimal(head, None) is not None:
            ascii_form = decimals.half_width(word.group())
            guess = f"是否为 {ascii_form}？" if ascii_form else ""
            raise JixiaoError(ErrorCode.EXPR_NUMBER,
                              f"表达式中的数字「{word.group()}」用了全角或其他文字的数字：{guess}数字请用半角书写",
                              _at(where, word.start()), field)


def _check_shape(source: str, where: SourceLocation, field: str) -> None:
    """Bracket depth and runs of signs (``- - - x``), which make ``ast.parse`` recurse, are bounded first."""
    depth = 0
    for col, char in enumerate(source):
        if char in "([{":
            depth += 1
            if depth > input_limits.EXPR_DEPTH:
                raise JixiaoError(ErrorCode.LIMIT_EXPR_DEPTH,
                                  f"表达式的括号嵌套超过 {input_limits.EXPR_DEPTH} 层", _at(where, col), field)
        elif char in ")]}":
            depth -= 1
    for run in _SIGNS.finditer(source):
        if run.group().count("-") + run.group().count("+") > input_limits.EXPR_DEPTH:
            raise JixiaoError(ErrorCode.LIMIT_EXPR_DEPTH, f"表达式中连续的正负号超过 {input_limits.EXPR_DEPTH} 个",
                              _at(where, run.start()), field)


def _at(where: SourceLocation, col: int) -> SourceLocation:
    return SourceLocation(where.file, where.line, where.col + col)


class _Converter:
    def __init__(self, source: str, where: SourceLocation, names: set[str],
                 quoted: dict[str, str], field: str, types: Mapping[str, str]) -> None:
        self.source, self.where, self.names, self.quoted, self.field = source, where, names, quoted, field
        self.types = types
        self.encoded = source.encode()

    def column(self, node: ast.AST) -> int:
        offset = getattr(node, "col_offset", 0)
        return len(self.encoded[:offset].decode())

    def fail(self, node: ast.AST, code: ErrorCode, message: str) -> JixiaoError:
        return JixiaoError(code, message, _at(self.where, self.column(node)), self.field)

    def convert(self, node: ast.AST) -> Expr:
        # the whitelist: one case per allowed node type (ast.parse makes no subclasses of these)
        match node:
            case ast.Constant():
                return self.constant(node)
            case ast.Name():
                return self.name(node)
            case ast.BinOp():
                return self.binop(node)
            case ast.UnaryOp():
                return self.unary(node)
            case ast.Compare():
                return self.compare(node)
            case ast.BoolOp():
                return self.boolop(node)
            case ast.Call():
                return self.call(node)
            case ast.Subscript() if self.cell_parts(node) is not None:
                return self.cell(node)
        segment = ast.get_source_segment(self.source, node) or type(node).__name__
        raise self.fail(node, ErrorCode.EXPR_NOT_ALLOWED,
                        f"表达式中不允许使用「{segment}」（只允许事实名、数字、+ − × ÷、比较和 "
                        f"{'/'.join(FUNCTIONS)}）")

    def check_depth(self, root: ast.AST) -> None:
        """Measure the tree's depth iteratively; past the limit, fail at the node that goes deepest."""
        stack: list[tuple[ast.AST, int]] = [(root, 0)]
        while stack:
            node, depth = stack.pop()
            if depth > input_limits.EXPR_DEPTH:
                raise self.fail(node, ErrorCode.LIMIT_EXPR_DEPTH,
                                f"表达式嵌套超过 {input_limits.EXPR_DEPTH} 层（括号、函数调用和连续的运算都算一层）")
            children = [c for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr)]
            stack.extend((child, depth + 1) for child in children)

    def constant(self, node: ast.Constant) -> Expr:
        if isinstance(node.value, bool) or not isinstance(node.value, int | float | complex):
            raise self.fail(node, ErrorCode.EXPR_NOT_ALLOWED, f"表达式中只允许数字常量，不允许「{node.value!r}」")
        text = ast.get_source_segment(self.source, node) or str(node.value)
        if isinstance(node.value, complex) or not _LITERAL.fullmatch(text):
            raise self.fail(node, ErrorCode.EXPR_NUMBER,
                            f"数字「{text}」的写法不允许：只能用十进制数（如 100、0.5、1e3），不能用十六进制、八进制、"
                            "二进制、下划线分隔或复数")
        try:
            return Num(decimals.read_number(text))
        except decimals.NumberLimit as err:
            raise self.fail(node, err.code, err.message) from None

    def written(self, node: ast.Name) -> str:
        """A name as the policy wrote it (the parser folded it to NFKC), ``「…」`` unquoted."""
        written = ast.get_source_segment(self.source, node) or node.id
        if written.startswith("_") and written not in self.quoted:
            raise self.fail(node, ErrorCode.EXPR_NOT_ALLOWED,
                            f"表达式中不允许使用「{written}」（名称不得以下划线开头）")
        return self.quoted.get(written, written)

    def name(self, node: ast.Name) -> Expr:
        name = self.written(node)
        if name not in self.names:
            raise self.fail(node, ErrorCode.EXPR_UNKNOWN_NAME,
                            f"表达式引用了未声明的事实「{name}」{did_you_mean(name, self.names)}")
        return self.numeric(node, name)

    def numeric(self, node: ast.AST, name: str) -> Name:
        """A fact read as a number: a boolean, enum, targets or table fact is refused where it stands."""
        kind = self.types.get(name, "decimal")
        if kind in _NOT_NUMBERS:
            hint = "，请写单元格，如 表[行][列]" if kind == "table" else ""
            raise self.fail(node, ErrorCode.EXPR_TYPE,
                            f"事实「{name}」是{_NOT_NUMBERS[kind]}（{kind}），不能参与运算或比较{hint}")
        return Name(name)

    @staticmethod
    def cell_parts(node: ast.Subscript) -> tuple[ast.Name, ast.Name, ast.Name] | None:
        """``表[行][列]``: three names, or ``None`` for any other subscript (which is not allowed)."""
        inner = node.value
        if isinstance(inner, ast.Subscript) and isinstance(inner.value, ast.Name) \
                and isinstance(inner.slice, ast.Name) and isinstance(node.slice, ast.Name):
            return inner.value, inner.slice, node.slice
        return None

    def cell(self, node: ast.Subscript) -> Expr:
        parts = self.cell_parts(node)
        assert parts is not None
        table, row, column = (self.written(part) for part in parts)
        name = f"{table}[{row}][{column}]"
        if name not in self.names:
            if self.types.get(table) != "table":
                message = f"「{table}」不是表格事实，不能写 {table}[…][…]{did_you_mean(table, self.names)}"
            else:
                cells = [n for n in self.names if n.startswith(f"{table}[")]
                message = f"表格「{table}」没有单元格「[{row}][{column}]」{did_you_mean(name, cells)}"
            raise self.fail(node, ErrorCode.EXPR_UNKNOWN_NAME, message)
        return self.numeric(node, name)

    def number(self, node: ast.AST) -> Expr:
        """Convert an operand of arithmetic, a comparison or a call: it must be a number, not a condition."""
        found = self.convert(node)
        if isinstance(found, Compare | BoolOp):
            raise self.fail(node, ErrorCode.EXPR_TYPE,
                            f"「{ast.get_source_segment(self.source, node)}」是条件（成立/不成立），"
                            "不能当作数值参与运算或比较")
        return found

    def condition(self, node: ast.AST) -> Expr:
        """Convert an operand of ``and`` / ``or``: it must be a comparison."""
        found = self.convert(node)
        if not isinstance(found, Compare | BoolOp):
            raise self.fail(node, ErrorCode.EXPR_TYPE,
                            f"「{ast.get_source_segment(self.source, node)}」是数值，and / or 两边应为比较（如 a > 0）")
        return found

    def binop(self, node: ast.BinOp) -> Expr:
        op = _BIN.get(type(node.op))
        if op is None:
            raise self.fail(node, ErrorCode.EXPR_NOT_ALLOWED, "只允许 + − × ÷ 四则运算")
        return BinOp(op, self.number(node.left), self.number(node.right))

    def unary(self, node: ast.UnaryOp) -> Expr:
        if isinstance(node.op, ast.UAdd):
            return self.number(node.operand)
        if isinstance(node.op, ast.USub):
            return Unary(self.number(node.operand))
        raise self.fail(node, ErrorCode.EXPR_NOT_ALLOWED, "只允许一元负号")

    def compare(self, node: ast.Compare) -> Expr:
        if len(node.ops) != 1 or type(node.ops[0]) not in _CMP:
            raise self.fail(node, ErrorCode.EXPR_NOT_ALLOWED, "每个比较只能有一个比较运算符（< ≤ > ≥ == !=）")
        return Compare(_CMP[type(node.ops[0])], self.number(node.left), self.number(node.comparators[0]))

    def boolop(self, node: ast.BoolOp) -> Expr:
        op = "and" if isinstance(node.op, ast.And) else "or"
        return BoolOp(op, tuple(self.condition(v) for v in node.values))

    def call(self, node: ast.Call) -> Expr:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords \
                or ast.get_source_segment(self.source, node.func) != node.func.id:
            segment = ast.get_source_segment(self.source, node.func) or "?"
            raise self.fail(node, ErrorCode.EXPR_NOT_ALLOWED,
                            f"不允许调用「{segment}」，只允许 {'、'.join(FUNCTIONS)}")
        func = node.func.id
        args = tuple(self.number(a) for a in node.args)
        low, high, wanted = _ARITY[func]
        if len(args) < low or (high is not None and len(args) > high):
            raise self.fail(node, ErrorCode.EXPR_ARITY, f"{func}() 需要{wanted}，这里写了 {len(args)} 个")
        if func in ("round", "trunc"):
            self.check_places(node.args[1], args[1], func)
        return Call(func, args)

    def check_places(self, node: ast.AST, places: Expr, func: str) -> None:
        limit = input_limits.ROUND_PLACES
        if not (isinstance(places, Num) and places.value == places.value.to_integral_value()
                and 0 <= places.value <= limit):
            written = ast.get_source_segment(self.source, node)
            raise self.fail(node, ErrorCode.EXPR_ARGUMENT,
                            f"{func}() 的小数位数应为 0 到 {limit} 的整数常量，这里是「{written}」")


def free_names(expr: Expr) -> tuple[str, ...]:
    """The fact names an expression reads, in first-use order.

    >>> free_names(BinOp("/", Name("a"), BinOp("+", Name("b"), Name("a"))))
    ('a', 'b')
    """
    match expr:
        case Name(name):
            return (name,)
        case Num():
            return ()
        case Unary(operand):
            return free_names(operand)
        case BinOp(_, left, right) | Compare(_, left, right):
            return tuple(dict.fromkeys(free_names(left) + free_names(right)))
        case BoolOp(_, values) | Call(_, values):
            return tuple(dict.fromkeys(n for v in values for n in free_names(v)))
    raise TypeError(expr)


def evaluate(expr: Expr, env: Mapping[str, Decimal]) -> Decimal | bool:
    """Evaluate with exact decimals in the caller's decimal context.

    >>> evaluate(parse("a / b * 100", SourceLocation("p", 1, 1), "ab"), {"a": Decimal(1), "b": Decimal(8)})
    Decimal('12.500')
    """
    match expr:
        case Num(value):
            return value
        case Name(name):
            return env[name]
        case Unary(operand):
            return -_num(evaluate(operand, env))
        case BinOp():
            return _binop(expr, env)
        case Compare(op, left, right):
            return _compare(op, _num(evaluate(left, env)), _num(evaluate(right, env)))
        case BoolOp("and", values):
            return all(evaluate(v, env) for v in values)
        case BoolOp(_, values):
            return any(evaluate(v, env) for v in values)
        case Call(func, args):
            return _call(func, [_num(evaluate(a, env)) for a in args])
    raise TypeError(expr)


def _num(value: Decimal | bool) -> Decimal:
    if isinstance(value, bool):
        raise TypeError("a comparison is not a number")
    return value


def _binop(node: BinOp, env: Mapping[str, Decimal]) -> Decimal:
    left, right = _num(evaluate(node.left, env)), _num(evaluate(node.right, env))
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left - right
    if node.op == "*":
        return left * right
    try:
        return left / right
    except (DivisionByZero, ZeroDivisionError, InvalidOperation):
        if right.is_zero():
            raise ExprDivisionByZero(node) from None
        raise


def _compare(op: str, left: Decimal, right: Decimal) -> bool:
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right,
            "==": left == right, "!=": left != right}[op]


def _call(func: str, args: list[Decimal]) -> Decimal:
    if func == "abs" and len(args) == 1:
        return abs(args[0])
    if func in ("min", "max") and args:
        return min(args) if func == "min" else max(args)
    if func in ("round", "trunc") and len(args) == 2 and args[1] == args[1].to_integral_value():
        return decimals.quantize(args[0], int(args[1]), "half_up" if func == "round" else "down")
    raise TypeError(f"{func}() 参数个数或类型不对")


def render(expr: Expr, env: Mapping[str, Decimal] | None = None, *, top: bool = True) -> str:
    """Show an expression with ``× ÷ −``, substituting values from ``env`` when given.

    >>> e = parse("a / b * 100", SourceLocation("p", 1, 1), "ab")
    >>> render(e), render(e, {"a": Decimal("10232.75"), "b": Decimal("12139.05")})
    ('a ÷ b × 100', '10232.75 ÷ 12139.05 × 100')
    """
    match expr:
        case Num(value):
            return decimals.fmt(value)
        case Name(name):
            return decimals.fmt(env[name]) if env is not None and name in env else name
        case Unary(operand):
            return "−" + render(operand, env, top=False)
        case BinOp(op, left, right) | Compare(op, left, right):
            text = f"{render(left, env, top=False)} {_SHOW[op]} {render(right, env, top=False)}"
            return text if top or isinstance(expr, Compare) or op in "*/" else f"({text})"
        case BoolOp(op, values):
            text = f" {_SHOW[op]} ".join(render(v, env, top=False) for v in values)
            return text if top else f"({text})"
        case Call(func, args):
            return f"{func}({', '.join(render(a, env) for a in args)})"
    raise TypeError(expr)
