"""Checks over a policy's derived facts (stage: check; pure).

These run on parsed expressions (``engine.compile`` parses them once and calls here). A rule's own
numbers (bands, points, floors, units) are checked by its kind when compile plans it (``engine.rules``).
"""

from __future__ import annotations

from engine import expr
from engine.errors import ErrorCode, Problem
from engine.schema import FactSpec
from engine.source import SourceDoc, field_path

__all__ = ["check_derived"]


def check_derived(doc: SourceDoc, name: str, spec: FactSpec, parsed: expr.Expr) -> list[Problem]:
    """A derived fact that divides must declare its rounding (the result may not terminate)."""
    if spec.rounding is None and _divides(parsed):
        path = ("facts", name, "derive")
        message = f"派生事实「{name}」含除法，必须声明 rounding（如 {{places: 2, mode: down}}）"
        return [Problem(ErrorCode.POLICY_ROUNDING, message,
                        doc.locate(path), field_path(path))]
    return []


def _divides(node: expr.Expr) -> bool:
    match node:
        case expr.BinOp(op, left, right):
            return op == "/" or _divides(left) or _divides(right)
        case expr.Unary(operand):
            return _divides(operand)
        case expr.Call(_, args) | expr.BoolOp(_, args):
            return any(_divides(a) for a in args)
    return False
