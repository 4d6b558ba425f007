"""``jixiao serve --db``: the database is tried before the service starts; a bad one is one clear line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from engine.commands.main import main


@pytest.fixture
def started(monkeypatch):
    import uvicorn

    calls: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    return calls


def serve(*args: str, env: dict | None = None) -> tuple[int, str]:
    run = CliRunner().invoke(main, ["serve", *args],
                             env={"JIXIAO_DB": None, "JIXIAO_POLICIES": None, "JIXIAO_DATA": None, **(env or {})})
    assert "Traceback" not in run.output and "内部错误" not in run.output
    assert run.exception is None or isinstance(run.exception, SystemExit), repr(run.exception)
    return run.exit_code, run.output


def test_a_usable_sqlite_file_starts_the_service(tmp_path, started):
    code, out = serve("--db", f"sqlite:///{tmp_path / 'decisions.sqlite3'}")
    assert code == 0, out
    assert len(started) == 1 and started[0]["factory"] is True


def test_a_file_that_is_no_database_is_refused(tmp_path, started):
    bad = tmp_path / "notes.txt"
    bad.write_text("这不是数据库\n" * 100, encoding="utf-8")
    code, out = serve("--db", f"sqlite:///{bad}")
    assert code == 1 and "--db:1:6: service.database: 无法打开数据库" in out and not started
    assert bad.read_text(encoding="utf-8").startswith("这不是数据库")


def test_a_directory_is_refused(tmp_path, started):
    code, out = serve("--db", f"sqlite:///{tmp_path}")
    assert code == 1 and "service.database" in out and "是目录" in out and not started


@pytest.mark.parametrize(("url", "words"), [("not a url", "写法不对"), ("foo://bar/x", "不支持的数据库类型"),
                                            ("", "为空"), ("   ", "为空")])
def test_a_malformed_url_is_a_usage_error(url, words, started):
    code, out = serve("--db", url)
    assert code == 2 and words in out and not started


def test_an_unreachable_server_is_reported_without_its_password(started):
    code, out = serve("--db", "postgresql+psycopg://jixiao:s3cret-pw@127.0.0.1:1/jixiao")
    assert code == 1 and "service.database" in out and "127.0.0.1" in out and not started
    assert "s3cret-pw" not in out and "***" in out


def test_a_missing_driver_is_named(started):
    code, out = serve("--db", "mysql://u:pw@localhost/x")
    assert code == 1 and "驱动没有安装" in out and not started


def test_the_default_data_folder_that_cannot_be_created_is_reported(tmp_path, started):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    code, out = serve(env={"JIXIAO_DATA": str(blocker / "data")})
    assert code == 1 and "service.database" in out and "无法创建默认数据目录" in out and not started
