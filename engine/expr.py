"""Whitelisted policy expressions: text → frozen IR → ``Decimal`` (stage: compile / evaluate).

``parse`` runs ``ast.parse(text, mode="eval")`` and accepts only the node types below; anything
else is ``expr.not_allowed`` with its column inside the policy file. Literals are built from
their source text, never from the float ``ast`` made. Nothing is ever ``eval``-ed.
Fact names that are not identifiers (``"三公经费"控制率``) are written as ``「…」``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import ClassVar

from engine import decimals
from engine.errors import ErrorCode, JixiaoError, SourceLocation, did_you_mean

__all__ = [
    "BinOp", "BoolOp", "Call", "Compare", "Expr", "ExprDivisionByZero", "Name", "Num", "Unary",
    "evaluate", "free_names", "parse", "render",
]

FUNCTIONS = ("abs", "max", "min", "round", "trunc")
_QUOTED = re.compile(r"「([^」]+)」")
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


def parse(text: str, where: SourceLocation, names: Iterable[str], *, field: str = "") -> Expr:
    """Parse ``text`` into IR, allowing only declared ``names``.

    ``where`` is the position of the expression's first character in its file; errors add the
    column inside the expression.

    >>> loc = SourceLocation("p.yaml", 1, 1)
    >>> parse("a / b * 100", loc, ["a", "b"])
    BinOp(op='*', left=BinOp(op='/', left=Name(name='a'), right=Name(name='b')), right=Num(value=Decimal('100')))
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

    source = _QUOTED.sub(_quote, text)
    try:
        tree = ast.parse(source.strip() and source, mode="eval")
    except SyntaxError as err:
        col = (err.offset or 1) - 1
        raise JixiaoError(ErrorCode.EXPR_SYNTAX, f"表达式语法错误：{text}",
                          _at(where, col), field) from None
    return _Converter(source, where, names, quoted, field).convert(tree.body)


def _at(where: SourceLocation, col: int) -> SourceLocation:
    return SourceLocation(where.file, where.line, where.col + col)


class _Converter:
    def __init__(self, source: str, where: SourceLocation, names: set[str],
                 quoted: dict[str, str], field: str) -> None:
        self.source, self.where, self.names, self.quoted, self.field = source, where, names, quoted, field
        self.encoded = source.encode()

    def column(self, node: ast.AST) -> int:
        offset = getattr(node, "col_offset", 0)
        return len(self.encoded[:offset].decode())

    def fail(self, node: ast.AST, code: ErrorCode, message: str) -> JixiaoError:
        return JixiaoError(code, message, _at(self.where, self.column(node)), self.field)

    def convert(self, node: ast.AST) -> Expr:
        handler = self._handlers.get(type(node))
        if handler is None:
            segment = ast.get_source_segment(self.source, node) or type(node).__name__
            raise self.fail(node, ErrorCode.EXPR_NOT_ALLOWED,
                            f"表达式中不允许使用「{segment}」（只允许事实名、数字、+ − × ÷、比较和 "
                            f"{'/'.join(FUNCTIONS)}）")
        return handler(self, node)

    def constant(self, node: ast.Constant) -> Expr:
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise self.fail(node, ErrorCode.EXPR_NOT_ALLOWED, f"表达式中只允许数字常量，不允许「{node.value!r}」")
        return Num(Decimal(ast.get_source_segment(self.source, node) or str(node.value)))

    def name(self, node: ast.Name) -> Expr:
        name = self.quoted.get(node.id, node.id)
        if node.id.startswith("_") and node.id not in self.quoted:
            raise self.fail(node, ErrorCode.EXPR_NOT_ALLOWED,
                            f"表达式中不允许使用「{node.id}」（名称不得以下划线开头）")
        if name not in self.names:
            raise self.fail(node, ErrorCode.EXPR_UNKNOWN_NAME,
                            f"表达式引用了未声明的事实「{name}」{did_you_mean(name, self.names)}")
        return Name(name)

    def binop(self, node: ast.BinOp) -> Expr:
        op = _BIN.get(type(node.op))
        if op is None:
            raise self.fail(node, ErrorCode.EXPR_NOT_ALLOWED, "只允许 + − × ÷ 四则运算")
        return BinOp(op, self.convert(node.left), self.convert(node.right))

    def unary(self, node: ast.UnaryOp) -> Expr:
        if isinstance(node.op, ast.UAdd):
            return self.convert(node.operand)
        if isinstance(node.op, ast.USub):
            return Unary(self.convert(node.operand))
        raise self.fail(node, ErrorCode.EXPR_NOT_ALLOWED, "只允许一元负号")

    def compare(self, node: ast.Compare) -> Expr:
        if len(node.ops) != 1 or type(node.ops[0]) not in _CMP:
            raise self.fail(node, ErrorCode.EXPR_NOT_ALLOWED, "每个比较只能有一个比较运算符（< ≤ > ≥ == !=）")
        return Compare(_CMP[type(node.ops[0])], self.convert(node.left), self.convert(node.comparators[0]))

    def boolop(self, node: ast.BoolOp) -> Expr:
        op = "and" if isinstance(node.op, ast.And) else "or"
        return BoolOp(op, tuple(self.convert(v) for v in node.values))

    def call(self, node: ast.Call) -> Expr:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords:
            segment = ast.get_source_segment(self.source, node.func) or "?"
            raise self.fail(node, ErrorCode.EXPR_NOT_ALLOWED,
                            f"不允许调用「{segment}」，只允许 {'、'.join(FUNCTIONS)}")
        return Call(node.func.id, tuple(self.convert(a) for a in node.args))

    _handlers: ClassVar[dict[type, Callable[[_Converter, ast.AST], Expr]]] = {  # type: ignore[dict-item]
        ast.Constant: constant, ast.Name: name, ast.BinOp: binop, ast.UnaryOp: unary,
        ast.Compare: compare, ast.BoolOp: boolop, ast.Call: call,
    }


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
            return f" {_SHOW[op]} ".join(render(v, env, top=False) for v in values)
        case Call(func, args):
            return f"{func}({', '.join(render(a, env) for a in args)})"
    raise TypeError(expr)
