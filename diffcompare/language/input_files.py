"""Files a user names, read the one safe way: the ``@FILE`` argument, ``-`` (standard
input), ``grade``'s answers file, ``report --corpus``.

A name that is not a regular file (a device such as ``/dev/zero``, a fifo, a socket) is
refused before anything is read from it: a fifo with no writer waits forever and
``/dev/zero`` never ends. A file, or standard input, holding more than ``MAX_BYTES`` is
refused after reading at most one byte past the limit. Every failure is one
``InputError`` line naming the file and what went wrong, never an ``OSError``.

Other paths a user gives (an engine file, an output folder) can go wrong in the same
ways (a name too long, a loop of links); ``refusal`` turns such an ``OSError`` into
the same kind of line.
"""

from __future__ import annotations

import errno
import os
import stat
import sys

from diffcompare.language.errors import InputError

# The largest input read, in bytes: 16 MiB is some 200,000 corpus lines or answers, far
# past a class's worth (grading 1,000 answers takes minutes), and 160 times the longest
# expression the parser takes by default (the ``length`` limit, 100,000 characters).
MAX_BYTES = 16 * 1024 * 1024
STANDARD_INPUT = "-"
BOM = "\ufeff"  # the byte-order mark that Notepad and Excel ("CSV UTF-8") put first

NOT_REGULAR = ("it is not a regular file (a device, a fifo, a pipe such as <(...) or a "
               "socket: reading one could wait or go on forever; to read a pipe, send it to "
               "standard input and give -)")


def read_text(source: str | os.PathLike, what: str, advice: str = "give a file",
              limit: int | None = None) -> str:
    """The text of the file ``source`` names, or of standard input for ``-``: UTF-8 for a
    file (the stream's own encoding for standard input), a leading byte-order mark
    dropped. ``what`` names the content for messages, e.g. "the answers"; ``advice`` ends
    the message when ``source`` cannot be opened or is not a file; ``limit`` is the most
    bytes read (default ``MAX_BYTES``; a file the tool wrote itself may be larger).

    >>> try:
    ...     read_text("/dev/zero", "the corpus")
    ... except InputError as error:
    ...     print(error)  # doctest: +ELLIPSIS
    cannot read the corpus from '/dev/zero': it is not a regular file (a device, ...; give a file

    Raises ``InputError`` when it cannot be read, is not a regular file, holds more than
    ``MAX_BYTES`` or is not text in its encoding.
    """
    if os.fspath(source) == STANDARD_INPUT:
        data, encoding, where = _read_standard_input(what), _stdin_encoding(), "standard input"
    else:
        data, encoding = read_bytes(source, what, advice, limit), "utf-8"
        where = repr(os.fspath(source))
    try:
        text = data if isinstance(data, str) else data.decode(encoding)
    except UnicodeDecodeError as error:
        raise InputError(f"cannot read {what} from {where}: it is not {encoding.upper()} "
                         f"text (byte {error.object[error.start]:#04x} at offset "
                         f"{error.start})") from None
    return text.removeprefix(BOM)


def read_bytes(path: str | os.PathLike, what: str, advice: str = "give a file",
               limit: int | None = None) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` (default ``MAX_BYTES``)
    of them; an ``InputError`` in one line otherwise (see ``read_text``)."""
    name = os.fspath(path)
    limit = MAX_BYTES if limit is None else limit
    try:
        _refuse_unless_regular(os.stat(name).st_mode)  # before opening it
        # O_NONBLOCK: should a fifo take the file's place after the check, opening it
        # does not wait for a writer; fstat then refuses it.
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                     | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(fd, "rb") as handle:
            _refuse_unless_regular(os.fstat(fd).st_mode)
            data = handle.read(limit + 1)
    except (OSError, ValueError) as error:  # ValueError: a NUL byte in the name
        raise refusal(name, f"read {what} from", error, advice) from None
    if len(data) > limit:
        raise InputError(f"cannot read {what} from {name!r}: {_too_large(limit)}")
    return data


def refusal(path: str | os.PathLike, doing: str, error: OSError | ValueError,
            advice: str = "") -> InputError:
    """The one-line ``InputError`` for ``error``, raised while doing something with a path
    the user gave: "cannot {doing} {path!r}: {why}[; {advice}]".

    >>> too_long = OSError(errno.ENAMETOOLONG, "File name too long")
    >>> message = refusal("x" * 300 + ".py", "use the engine", too_long, "give a shorter path")
    >>> print(message)  # doctest: +ELLIPSIS
    cannot use the engine 'xxx...xxx.py': the name is too long ...; give a shorter path
    """
    why = reason(error)
    return InputError(f"cannot {doing} {os.fspath(path)!r}: {why}"
                      + (f"; {advice}" if advice else ""))


def reason(error: OSError | ValueError) -> str:
    """Why a path could not be used, as a clause: "it does not exist", "the name is too
    long for the file system (File name too long)", ..."""
    if isinstance(error, _NotRegular):
        return NOT_REGULAR
    if isinstance(error, FileNotFoundError):
        return "it does not exist"
    if isinstance(error, IsADirectoryError):
        return "it is a directory"
    if isinstance(error, OSError) and error.errno == errno.ENAMETOOLONG:
        return "the name is too long for the file system (File name too long)"
    if isinstance(error, OSError) and error.errno == errno.ELOOP:
        return "its symbolic links go round in a loop"
    if isinstance(error, ValueError):
        return "the name holds a NUL byte, which no file name can"
    return getattr(error, "strerror", None) or str(error)


class _NotRegular(OSError):
    """A device, a fifo or a socket where a file was expected."""


def _refuse_unless_regular(mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
    if not stat.S_ISREG(mode):
        raise _NotRegular()


def _too_large(limit: int | None = None) -> str:
    limit = MAX_BYTES if limit is None else limit
    mebibytes, rest = divmod(limit, 1024 * 1024)
    shown = f"{limit} bytes" if rest else f"{mebibytes} MiB"
    return f"it is larger than {shown}, the limit for an input; split it"


def _read_standard_input(what: str) -> bytes | str:
    stream = sys.stdin
    if stream is None:
        raise InputError(f"cannot read {what} from standard input: it is closed; pipe "
                         "the text in, or give a file")
    source = getattr(stream, "buffer", stream)  # a test's StringIO has no buffer
    try:
        data = source.read(MAX_BYTES + 1)
    except (OSError, ValueError) as error:  # ValueError: a closed or detached stream
        raise InputError(f"cannot read {what} from standard input: {reason(error)}") from None
    if len(data) > MAX_BYTES:
        raise InputError(f"cannot read {what} from standard input: {_too_large()}")
    return data


def _stdin_encoding() -> str:
    return getattr(sys.stdin, "encoding", None) or "utf-8"
