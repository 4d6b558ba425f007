"""How the commands fail: located data errors, and a last line of defence for everything else.

A :class:`~engine.errors.JixiaoError` becomes a :class:`DataError` (exit code 1): every problem with its
location, and a snippet with a caret when the location is in a file or a command-line argument.

Anything else that escapes a command is a bug in jixiao. :class:`Commands` (the group's class) turns it
into one Chinese line naming the command and the innermost engine frame, writes the traceback to a log
file (``$JIXIAO_LOG_DIR``, default ``<temp>/jixiao-logs``) and exits with code 1: a user never sees a
Python traceback.
"""

from __future__ import annotations

import itertools
import os
import platform
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, NoReturn

import click

from engine.errors import JixiaoError, Problem

__all__ = ["Commands", "DataError", "InternalError", "log_directory"]

ENGINE_DIR = Path(__file__).resolve().parent.parent


class DataError(click.ClickException):
    """A located problem in a policy, fact file or argument (exit code 1).

    ``arguments`` holds the text of command-line "files" (``--set``, ``--sweep``, ``--output``), one
    argument a line, so a bad value given there gets the same snippet and caret as one in a file.
    """

    exit_code = 1

    def __init__(self, err: JixiaoError, arguments: dict[str, list[str]] | None = None) -> None:
        """Format every problem of ``err`` with its snippet."""
        super().__init__(_format_problems(err.problems, arguments or {}))

    def show(self, file: IO[Any] | None = None) -> None:  # click's signature
        """Print the message to standard error, without click's "Error:" prefix."""
        click.echo(self.format_message(), err=True)


def _format_problems(problems: tuple[Problem, ...], arguments: dict[str, list[str]]) -> str:
    blocks = [f"错误：发现 {len(problems)} 个问题" if len(problems) > 1 else "错误："]
    for problem in problems:
        blocks.append(str(problem))
        blocks.extend(_snippet(problem, arguments))
    return "\n".join(blocks)


def _snippet(problem: Problem, arguments: dict[str, list[str]]) -> list[str]:
    """The offending line with a caret under the column (Dagster's ``source_error``)."""
    loc = problem.location
    if loc is None:
        return []
    try:
        lines = arguments.get(loc.file) or _file_lines(loc.file)
    except (JixiaoError, OSError, UnicodeDecodeError, ValueError):
        return []
    if not 1 <= loc.line <= len(lines):
        return []
    text = lines[loc.line - 1]
    prefix = f"  {loc.line:>4} | "
    caret = " " * (len(prefix) + _columns(text[: loc.col - 1])) + "^"
    return [prefix + text, caret]


def _file_lines(name: str) -> list[str]:
    """The file's lines, read as the loader reads inputs: never blocking on a FIFO or reading a device."""
    from engine.loader import read_bytes

    return read_bytes(name).decode("utf-8").splitlines()


def _columns(text: str) -> int:
    from engine.render.common import width

    return width(text)


class InternalError(click.ClickException):
    """An unexpected exception, reported in one line; the details are in the log file (exit code 1)."""

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:  # click's signature
        """Print the one line to standard error."""
        click.echo(self.format_message(), err=True)


class Commands(click.Group):
    """The command group, with the last line of defence around every command."""

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; an unexpected exception becomes an :class:`InternalError`."""
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit,
                KeyboardInterrupt):
            raise
        except BrokenPipeError:  # the reader of our output went away (``| head``): stop quietly
            _silence_stdout()
        except Exception as err:  # the last line of defence: whatever a command did not expect
            raise InternalError(report_internal(err, _command_line(ctx))) from None


def report_internal(err: BaseException, command: str) -> str:
    """Log ``err`` with its traceback and return the one line to show."""
    where = _innermost_engine_frame(err)
    what = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
    if len(what) > 300:
        what = what[:300] + "…"
    line = f"内部错误：{command} 出错" + (f"（{where}）" if where else "") + f"：{what}。这是 jixiao 的缺陷，请报告"
    try:
        log = _write_log(err, command)
    except OSError as failure:
        return f"{line}；详情未能写入日志（{failure.strerror or failure}）"
    return f"{line}；详情已写入 {log}"


def _command_line(ctx: click.Context) -> str:
    return f"jixiao {ctx.invoked_subcommand or ''}".strip()


def _innermost_engine_frame(err: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(err.__traceback__) if _in_engine(f.filename)]
    if not frames:
        return ""
    last = frames[-1]
    return f"{Path(last.filename).resolve().relative_to(ENGINE_DIR.parent)}:{last.lineno} {last.name}"


def _in_engine(filename: str) -> bool:
    try:
        Path(filename).resolve().relative_to(ENGINE_DIR)
    except ValueError:
        return False
    return True


def log_directory() -> Path:
    """Where internal errors are logged: ``$JIXIAO_LOG_DIR``, else ``jixiao-logs`` in the temp directory."""
    configured = os.environ.get("JIXIAO_LOG_DIR")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "jixiao-logs"


def _write_log(err: BaseException, command: str) -> Path:
    from importlib.metadata import PackageNotFoundError, version

    directory = log_directory()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    now = datetime.now(UTC)
    try:
        release = version("jixiao")
    except PackageNotFoundError:
        release = "unknown"
    header = [f"jixiao {release} · Python {platform.python_version()} · {now.isoformat()}",
              f"command: {command}", f"argv: {sys.argv!r}", f"cwd: {Path.cwd()}", ""]
    body = "".join(traceback.format_exception(err))
    for n in itertools.count():
        path = directory / f"jixiao-{now:%Y%m%d-%H%M%S}-{os.getpid()}{f'-{n}' if n else ''}.log"
        try:
            with path.open("x", encoding="utf-8") as handle:
                handle.write("\n".join(header) + body)
        except FileExistsError:
            continue
        return path
    raise AssertionError("unreachable")  # pragma: no cover


def _silence_stdout() -> NoReturn:
    """After a broken pipe, point stdout at /dev/null so that the interpreter's final flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    raise click.exceptions.Exit(1)
