"""Writing output files so that a reader never sees half of one."""

from __future__ import annotations

import errno
import os
import stat
import tempfile


class CannotWrite(OSError):
    """A path that ``write_atomically`` will not or cannot write; ``strerror`` says why
    in words (not the system's, which would mislead: ENOENT for ``/proc/self/status``)."""


def write_atomically(path, data: str | bytes) -> None:
    """Write ``data`` (text is UTF-8) to ``path`` so that the file is either the old one
    or complete, never half-written: through a temporary file in the same directory and
    ``os.replace``.

    A symbolic link keeps pointing where it did: its target is what is replaced. An
    existing file keeps its permission bits. A character device or a fifo (``/dev/null``,
    a named pipe) is written into, since replacing it would put a plain file in its
    place; a fifo that no process is reading is refused rather than waited on. A
    directory is an ``IsADirectoryError``; a block device, a socket, or a file in a folder
    where no file can be made (``/proc/self/status``) is a ``CannotWrite`` whose
    ``strerror`` says so.
    """
    path = os.path.realpath(os.fspath(path))
    try:
        existing = os.stat(path)
    except FileNotFoundError:
        existing = None
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        with _open_for(_open_special(path, existing.st_mode), data) as file:
            file.write(data)
        return
    mode = stat.S_IMODE(existing.st_mode) if existing else 0o666 & ~_umask()
    folder = os.path.dirname(path)
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".diffcompare-",
                                             suffix=".tmp")
    except OSError as error:
        raise CannotWrite(error.errno, "it is written by putting a new file in its place, "
                                       f"and none can be made in {folder!r} "
                                       f"({error.strerror})", path) from None
    try:
        with _open_for(handle, data) as file:
            file.write(data)
        os.chmod(temporary, mode)  # mkstemp makes it private (0600)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _open_special(path: str, mode: int) -> int:
    """A descriptor to write into the character device or fifo at ``path``."""
    if stat.S_ISCHR(mode):
        return os.open(path, os.O_WRONLY | os.O_NOCTTY)
    if not stat.S_ISFIFO(mode):
        raise CannotWrite(errno.EINVAL, "it is a block device or a socket, not a file", path)
    try:  # O_NONBLOCK: with no reader, open fails (ENXIO) instead of waiting for one
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as error:
        if error.errno != errno.ENXIO:
            raise
        raise CannotWrite(errno.ENXIO, "it is a fifo that no process is reading (start "
                                       "the reader first)", path) from None
    os.set_blocking(fd, True)  # a slow reader is waited for, as by any writer to a pipe
    return fd


def _open_for(file, data: str | bytes):
    if isinstance(data, bytes):
        return open(file, "wb")
    return open(file, "w", encoding="utf-8")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
