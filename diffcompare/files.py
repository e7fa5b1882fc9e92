"""Writing output files so that a reader never sees half of one."""

from __future__ import annotations

import errno
import os
import stat
import tempfile


def write_atomically(path, data: str | bytes) -> None:
    """Write ``data`` (text is UTF-8) to ``path`` so that the file is either the old one
    or complete, never half-written: through a temporary file in the same directory and
    ``os.replace``.

    A symbolic link keeps pointing where it did: its target is what is replaced. An
    existing file keeps its permission bits. A device or a pipe (``/dev/null``, a fifo)
    is written into, since replacing it would put a plain file in its place; a directory
    is an ``IsADirectoryError``.
    """
    path = os.path.realpath(os.fspath(path))
    try:
        existing = os.stat(path)
    except FileNotFoundError:
        existing = None
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        with _open_for(path, data) as file:
            file.write(data)
        return
    mode = stat.S_IMODE(existing.st_mode) if existing else 0o666 & ~_umask()
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".diffcompare-",
                                         suffix=".tmp")
    try:
        with _open_for(handle, data) as file:
            file.write(data)
        os.chmod(temporary, mode)  # mkstemp makes it private (0600)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _open_for(file, data: str | bytes):
    if isinstance(data, bytes):
        return open(file, "wb")
    return open(file, "w", encoding="utf-8")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
