"""Numbers typed into Excel come back as the decimal that was typed (Excel keeps 15 significant digits)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from engine.excel.cells import Cell, CellLocation, as_number

WHERE = CellLocation("t.xlsx", 2, 3, "事实")


@given(st.decimals(min_value=Decimal("-999999999"), max_value=Decimal("999999999"), places=6,
                   allow_nan=False, allow_infinity=False))
def test_a_typed_decimal_reads_back_exactly(typed):
    # Excel stores float(typed); any decimal of at most 15 significant digits survives the double (DBL_DIG = 15)
    assert as_number(Cell(float(typed), WHERE), None) == typed


@given(st.decimals(min_value=Decimal("0"), max_value=Decimal("999"), places=4, allow_nan=False, allow_infinity=False))
def test_a_percentage_cell_reads_as_the_percentage_shown(percent):
    stored = float(percent / 100)  # what Excel keeps for "84.48%"
    assert as_number(Cell(stored, WHERE, "0.00%"), "%") == percent
