"""``serve --db``: try the database once before starting the service, so a bad URL is one clear line.

The service itself (``engine.service``) connects and migrates in every worker process; a URL it cannot
use would otherwise surface there as a SQLAlchemy traceback in uvicorn's log. Here the URL is parsed,
its driver loaded, and the database opened and its catalogue read, in this process, with Chinese errors:
a malformed URL or an unknown database type is a usage error (exit code 2); a database that cannot be
opened is ``service.database`` (exit code 1). Passwords never appear in a message.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from engine.errors import ErrorCode, JixiaoError, SourceLocation

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

__all__ = ["DB_OPTION", "check_database", "masked"]

DB_OPTION = "--db"
_CONNECT_TIMEOUT = {"postgresql": {"connect_timeout": 10}, "mysql": {"connect_timeout": 10}}


def check_database(url: str, given: bool) -> None:
    """Open the database at ``url`` once and read its catalogue.

    Args:
        url: the database URL the service will use.
        given: whether it came from ``--db`` (errors are then located at the option).

    Raises:
        click.BadParameter: the URL is malformed or names an unknown database type.
        JixiaoError: ``service.database``: the driver is missing or the database cannot be opened.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise click.BadParameter(f"数据库 URL 写法不对：「{_short(url)}」；应写成 sqlite:///路径/文件.sqlite3 或 "
                                 "postgresql+psycopg://用户:密码@主机/库", param_hint=DB_OPTION) from None
    shown = parsed.render_as_string(hide_password=True)
    where = SourceLocation(DB_OPTION, 1, len(DB_OPTION) + 2) if given else None
    if parsed.get_backend_name() == "sqlite":
        _check_sqlite_path(parsed.database, shown, where)
    _try_connect(parsed, shown, where)


def _try_connect(parsed: URL, shown: str, where: SourceLocation | None) -> None:
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.exc import NoSuchModuleError, SQLAlchemyError

    try:
        engine = create_engine(parsed, connect_args=_CONNECT_TIMEOUT.get(parsed.get_backend_name(), {}))
    except NoSuchModuleError:
        raise click.BadParameter(f"不支持的数据库类型「{parsed.drivername}」（{shown}）；可用 sqlite 或 "
                                 "postgresql+psycopg", param_hint=DB_OPTION) from None
    except ImportError as err:
        raise _fail(f"数据库 {shown} 的驱动没有安装（{err.name or err}）：请先安装它", where) from None
    try:
        with engine.connect() as connection:
            inspect(connection).get_table_names()  # reads the catalogue: a file that is no database fails here
    except SQLAlchemyError as err:
        reason = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
        raise _fail(f"无法打开数据库 {shown}：{reason}", where) from None
    except OSError as err:
        raise _fail(f"无法打开数据库 {shown}：{err.strerror or err}", where) from None
    finally:
        engine.dispose()


def _check_sqlite_path(database: str | None, shown: str, where: SourceLocation | None) -> None:
    """Name the usual mistakes with an SQLite file in words (SQLite says only "unable to open")."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.is_dir():
        raise _fail(f"无法打开数据库 {shown}：{path} 是目录，应为数据库文件", where)
    if not path.parent.is_dir():
        raise _fail(f"无法打开数据库 {shown}：目录 {path.parent} 不存在", where)


def _fail(message: str, where: SourceLocation | None) -> JixiaoError:
    return JixiaoError(ErrorCode.SERVICE_DATABASE, message, where, DB_OPTION)


def masked(url: str) -> str:
    """The URL with a password-looking part masked (for messages about URLs that do not parse).

    >>> masked("postgresql://jixiao:s3cret@db:port/x")
    'postgresql://jixiao:***@db:port/x'
    """
    return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", url)


def _short(url: str) -> str:
    text = masked(url)
    return text if len(text) <= 80 else f"{text[:60]}…"
