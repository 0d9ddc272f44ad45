"""Reading local files only where a connection may (``connectors.base.LocalFiles``).

Every local path is resolved (links followed, ``..`` collapsed) before it is checked, so neither a
symbolic link nor ``..`` leads out of an allowed folder. A file is opened first and checked after,
by what was actually opened, so a link swapped in between does not either.
"""

import os
import stat
from pathlib import Path
from typing import BinaryIO

from connectors.base import LocalFiles
from governance.errors import AtsparkError

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
"""Non-blocking, so opening a FIFO returns at once (and is then refused as no regular file)."""


def absolute(path: str, access: LocalFiles) -> str:
    """``path`` as an absolute path; a relative one is taken from the connection's own folder."""
    expanded = Path(os.path.expanduser(path.removeprefix("file://")))
    if not expanded.is_absolute():
        if access.home is None:
            raise outside(path, access)
        expanded = access.home / expanded
    return os.path.normpath(expanded)


def check_inside(path: str, access: LocalFiles, shown: str | None = None) -> None:
    """Refuse ``path`` unless, resolved, it is one ``access`` allows."""
    if not access.allows(os.path.realpath(path)):
        raise outside(shown or path, access)


def open_inside(path: str, access: LocalFiles) -> BinaryIO:
    """``path`` opened for reading, refused unless what was opened is a regular file ``access``
    allows."""
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        raise AtsparkError(f"cannot open {path}: {error.strerror}") from None
    try:
        if not access.allows(_opened_path(descriptor, path)):
            raise outside(path, access)
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise AtsparkError(f"{path} is not a regular file")
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def outside(path: str, access: LocalFiles) -> AtsparkError:
    allowed = ", ".join(map(str, access.folders)) or "none"
    return AtsparkError(
        f"path {path} is outside the folders files connections may read ({allowed}); "
        "an operator can allow another folder with ATSPARK_FILES_ROOTS"
    )


def _opened_path(descriptor: int, path: str) -> str:
    """Where the open file really is: the kernel's answer on Linux, else the resolved path."""
    try:
        return os.readlink(f"/proc/self/fd/{descriptor}")
    except OSError:
        return os.path.realpath(path)
