"""Output files of the commands (``--output``, batch ``--out``): checked first, written atomically.

A target is checked before any work is done, and again just before the rename:

- it must be a regular file or not exist yet; ``/dev/null``, a FIFO, a directory, a device or a
  socket is refused, never replaced (as root, replacing ``/dev/null`` by a regular file breaks the
  system);
- a symbolic link is followed: the file it points to is replaced and the link stays a link, as a
  shell's ``>`` would write through it (a loop or a link into a missing directory is refused);
- an existing file must be writable by the user, and its permission bits are kept; a new file gets
  ``0666`` minus the umask, like any file the shell creates;
- the text goes to a temporary file in the same directory, is flushed to disk, then renamed over
  the target: on any error the target is unchanged and the temporary file removed.

Every refusal is a :class:`JixiaoError` located at the option (``--output:1:10``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

import click

from engine.errors import ErrorCode, JixiaoError, SourceLocation

__all__ = ["STDOUT", "OutputTarget", "check_output", "write_output"]

STDOUT = "-"  # an output option's spelling of standard output, as for a shell's tools (engine.commands.views)

_KINDS = {stat.S_IFDIR: "目录", stat.S_IFCHR: "字符设备", stat.S_IFBLK: "块设备", stat.S_IFIFO: "命名管道（FIFO）",
          stat.S_IFSOCK: "套接字"}
_NAME_MAX = 200  # room for the temporary file's prefix and suffix under the usual 255-byte limit


@dataclass(frozen=True, slots=True)
class OutputTarget:
    """A checked output file: the option and path as given, and the file to replace."""

    option: str
    given: str
    path: Path
    mode: int | None  # permission bits of the file replaced; None: a new file (umask applies)

    def fail(self, code: ErrorCode, message: str) -> JixiaoError:
        """A located error about this target (the caret goes under the path in ``--output PATH``)."""
        return JixiaoError(code, message, SourceLocation(self.option, 1, len(self.option) + 2), self.option)

    @property
    def argument(self) -> str:
        """The argument as a one-line "file", for the error snippet."""
        return f"{self.option} {self.given}"


def check_output(option: str, given: str) -> OutputTarget:
    """Check an output path before any work is done.

    Raises:
        click.BadParameter: the path is empty (a usage error).
        JixiaoError: ``output.not_regular`` or ``output.unwritable``, located at the option.
    """
    if not given.strip():
        raise click.BadParameter("输出路径为空：请给出文件名，或不写此选项以输出到标准输出", param_hint=option)
    probe = OutputTarget(option, given, Path(given), None)
    if given.endswith(("/", os.sep)):
        raise probe.fail(ErrorCode.OUTPUT_NOT_REGULAR, f"{given} 以 / 结尾，指的是目录；请给出文件名")
    if "\0" in given:
        raise probe.fail(ErrorCode.OUTPUT_UNWRITABLE, "输出路径中含有 NUL 字符")
    real = Path(os.path.realpath(given))
    target = OutputTarget(option, given, real, None)
    # abspath, not Path.resolve: the point is to see whether a symbolic link was followed
    shown = given if str(real) == os.path.abspath(given) else f"{given}（指向 {real}）"  # noqa: PTH100
    try:
        found = real.lstat()
    except FileNotFoundError:
        found = None
    except OSError as err:
        raise target.fail(ErrorCode.OUTPUT_UNWRITABLE, f"无法写入 {shown}：{_reason(err)}") from None
    if found is not None:
        target = _existing(target, shown, found)
    _check_directory(target, shown)
    return target


def _existing(target: OutputTarget, shown: str, found: os.stat_result) -> OutputTarget:
    if stat.S_ISLNK(found.st_mode):  # realpath stops at a link it cannot resolve: a loop
        raise target.fail(ErrorCode.OUTPUT_UNWRITABLE, f"无法写入 {shown}：符号链接形成循环")
    if not stat.S_ISREG(found.st_mode):
        kind = _KINDS.get(stat.S_IFMT(found.st_mode), "特殊文件")
        hint = "；要丢弃输出，请不写此选项并把标准输出重定向" if kind != "目录" else "；请给出目录中的文件名"
        raise target.fail(ErrorCode.OUTPUT_NOT_REGULAR, f"{shown} 是{kind}，不是普通文件，拒绝覆盖{hint}")
    if not os.access(target.path, os.W_OK):
        raise target.fail(ErrorCode.OUTPUT_UNWRITABLE, f"无法写入 {shown}：文件是只读的（没有写权限）")
    return OutputTarget(target.option, target.given, target.path, stat.S_IMODE(found.st_mode))


def _check_directory(target: OutputTarget, shown: str) -> None:
    directory = target.path.parent
    if not directory.exists():
        raise target.fail(ErrorCode.OUTPUT_UNWRITABLE, f"无法写入 {shown}：目录 {directory} 不存在")
    if not directory.is_dir():
        raise target.fail(ErrorCode.OUTPUT_UNWRITABLE, f"无法写入 {shown}：{directory} 不是目录")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise target.fail(ErrorCode.OUTPUT_UNWRITABLE, f"无法写入 {shown}：没有在目录 {directory} 中创建文件的权限")


def write_output(target: OutputTarget, text: str | bytes) -> None:
    """Write ``text`` (UTF-8; bytes as they are) to the checked target atomically.

    Raises:
        JixiaoError: ``output.unwritable`` (disk full, permission, …) or ``output.not_regular`` when the
            target changed since it was checked; the target is then unchanged.
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    fd, tmp = _temporary(target)
    try:
        try:
            if target.mode is not None:
                os.fchmod(fd, target.mode)
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        _recheck(target)
        tmp.replace(target.path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise target.fail(ErrorCode.OUTPUT_UNWRITABLE, f"无法写入 {target.given}：{_reason(err)}；文件未改动") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_directory(target.path.parent)


def _temporary(target: OutputTarget) -> tuple[int, Path]:
    """A new file beside the target, created with mode 0666 so that the kernel applies the umask."""
    name = target.path.name.encode()[:_NAME_MAX].decode(errors="ignore")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = target.path.with_name(f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
        except OSError as err:
            raise target.fail(ErrorCode.OUTPUT_UNWRITABLE,
                               f"无法在目录 {target.path.parent} 中创建临时文件：{_reason(err)}") from None
    raise target.fail(ErrorCode.OUTPUT_UNWRITABLE, f"无法在目录 {target.path.parent} 中创建临时文件")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _recheck(target: OutputTarget) -> None:
    """Refuse, at the last moment, a target that became something other than a regular file."""
    try:
        found = target.path.lstat()
    except FileNotFoundError:
        return
    if not stat.S_ISREG(found.st_mode):
        kind = _KINDS.get(stat.S_IFMT(found.st_mode), "特殊文件")
        raise target.fail(ErrorCode.OUTPUT_NOT_REGULAR, f"{target.given} 已变成{kind}，不是普通文件，拒绝覆盖")


def _sync_directory(directory: Path) -> None:
    """Make the rename durable; some file systems cannot open a directory, which is no error."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


_REASONS = {errno.ENOENT: "路径不存在", errno.ENOSPC: "磁盘空间不足", errno.EDQUOT: "超出磁盘配额",
            errno.EACCES: "没有权限", errno.EPERM: "操作不被允许", errno.EROFS: "文件系统是只读的",
            errno.ENOTDIR: "路径中有一段不是目录",
            errno.ENAMETOOLONG: "文件名太长", errno.ELOOP: "符号链接形成循环", errno.EISDIR: "是目录",
            errno.EIO: "输入输出错误", errno.EFBIG: "文件太大"}


def _reason(err: OSError) -> str:
    """A Chinese reason for an operating-system error, with the system's own wording after it."""
    reason = _REASONS.get(err.errno or 0)
    own = err.strerror or type(err).__name__
    return f"{reason}（{own}）" if reason else own
