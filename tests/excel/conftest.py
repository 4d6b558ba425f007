"""Fixtures for the Excel tests: the Guangzhou template, and filled copies with one change each."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from engine.commands.main import main
from tests.conftest import GZ_FACTS, GZ_POLICY
from tests.excel.fill import fill_workbook


@pytest.fixture(scope="session")
def gz_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`jixiao template` for the Guangzhou policy, written once per session."""
    path = tmp_path_factory.mktemp("template") / "gz-template.xlsx"
    run = CliRunner().invoke(main, ["template", str(GZ_POLICY), "--xlsx", str(path)])
    assert run.exit_code == 0, run.output
    return path


@pytest.fixture
def filled(gz_template: Path, tmp_path: Path) -> Callable[..., Path]:
    """``filled(edit=None, name=…)``: the template filled with the Guangzhou facts, then ``edit(book)``."""

    def make(edit: Callable[[Any], None] | None = None, name: str = "gz.xlsx") -> Path:
        return fill_workbook(gz_template, GZ_FACTS, tmp_path / name, edit)

    return make


def set_cached(path: Path, sheet_index: int, cell: str, value: str, *, error: bool = False) -> None:
    """Give a formula cell a saved result, as Excel or WPS do when they save (openpyxl cannot)."""
    data = io.BytesIO(path.read_bytes())
    out = io.BytesIO()
    with zipfile.ZipFile(data) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == f"xl/worksheets/sheet{sheet_index}.xml":
                text = content.decode()
                pattern = re.compile(rf'<c r="{cell}"([^>]*)><f>([^<]*)</f><v\s*/>')
                assert pattern.search(text), f"no formula in {cell}"
                kind = ' t="e"' if error else ""
                cached = f'{kind}><f>\\2</f><v>{value}</v>'
                text = pattern.sub(f'<c r="{cell}"\\1{cached}', text)
                content = text.encode()
            target.writestr(info, content)
    path.write_bytes(out.getvalue())
