"""The local directories a files connection may read, and reading only inside them.

Every local path is resolved (links followed, ``..`` collapsed) before it is compared with the
roots, so neither a symbolic link nor ``..`` leads out of one. A file is opened first and
checked after, by what was actually opened, so a link swapped in between does not either.
"""

import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from governance.errors import AtsparkError

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
"""Non-blocking, so opening a FIFO returns at once (and is then refused as no regular file)."""


def absolute(path: str, roots: Sequence[Path]) -> str:
    """``path`` as an absolute path; a relative one is taken from the first root."""
    expanded = Path(os.path.expanduser(path.removeprefix("file://")))
    if not expanded.is_absolute():
        if not roots:
            raise outside_roots(path, roots)
        expanded = roots[0] / expanded
    return os.path.normpath(expanded)


def check_inside(path: str, roots: Sequence[Path], shown: str | None = None) -> None:
    """Refuse ``path`` unless, resolved, it lies in one of ``roots`` (resolved too)."""
    if not _inside(os.path.realpath(path), roots):
        raise outside_roots(shown or path, roots)


def open_inside(path: str, roots: Sequence[Path]) -> BinaryIO:
    """``path`` opened for reading, refused unless the file opened is a regular file in a root."""
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        raise AtsparkError(f"cannot open {path}: {error.strerror}") from None
    try:
        opened = _opened_path(descriptor, path)
        if not _inside(opened, roots):
            raise outside_roots(path, roots)
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise AtsparkError(f"{path} is not a regular file")
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def outside_roots(path: str, roots: Sequence[Path]) -> AtsparkError:
    allowed = ", ".join(map(str, roots)) or "none"
    return AtsparkError(
        f"path {path} is outside the folders files connections may read ({allowed}); "
        "an operator can allow another folder with ATSPARK_FILES_ROOTS"
    )


def _inside(resolved: str, roots: Sequence[Path]) -> bool:
    for root in roots:
        real_root = os.path.realpath(root)
        if os.path.commonpath([resolved, real_root]) == real_root:
            return True
    return False


def _opened_path(descriptor: int, path: str) -> str:
    """Where the open file really is: the kernel's answer on Linux, else the resolved path."""
    try:
        return os.readlink(f"/proc/self/fd/{descriptor}")
    except OSError:
        return os.path.realpath(path)
