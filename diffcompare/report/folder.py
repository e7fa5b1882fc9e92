"""The report folder: each report a version of its own, made current in one step.

A report never deletes or moves what it did not make, and a reader never sees half of
one. ``--out OUT`` looks like this::

    OUT/index.html -> .diffcompare-report/current/index.html   (links, made once)
    OUT/README.md  -> .diffcompare-report/current/README.md
    OUT/.diffcompare-report/current -> v-3f2a…                  (switched by one rename)
    OUT/.diffcompare-report/v-3f2a…/MANIFEST                    (every file, with its hash)
    OUT/.diffcompare-report/v-3f2a…/index.html, README.md, figures/…, pages/…

A new report is written whole into a staging folder, renamed to its version folder
(named by the hash of its manifest, so the same report has the same name), and made
current by renaming a new ``current`` link over the old one: one ``rename(2)``, atomic
on POSIX file systems. Until then the previous report is untouched; after it, the
previous version's files, each as listed in its manifest and still with its hash, are
deleted. A file that is not listed, or was changed, is never deleted: a version folder
holding one is left, and said so. Everything else in OUT (a user's ``figures/``, notes,
pictures) is never looked at.

A run that is interrupted removes its staging folder; one that is killed (SIGKILL leaves
no chance to) leaves it, and the next run removes it first (``tidy``). A lock in our
folder keeps two runs from writing one report at a time.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Callable, Iterable, Mapping

from diffcompare.language.errors import InputError
from diffcompare.language.input_files import refusal

HOME = ".diffcompare-report"  # our folder inside OUT: nothing else of OUT is ours
CURRENT = "current"
ENTRIES = ("index.html", "README.md")  # links in OUT into the current version
MANIFEST = "MANIFEST"
MANIFEST_HEADER = "diffcompare report manifest 1"
# From OUT, where the current version's files are: pages and README.md link through it.
BASE = f"{HOME}/{CURRENT}/"

Say = Callable[[str], None]


def link_target(name: str) -> str:
    return BASE + name


def check(out: Path, mark_of: Mapping[str, str]) -> None:
    """Refuse, before any work, a target whose entries a report would replace but did not
    make: ``mark_of`` gives the mark an older report left near the top of each page; and
    one that cannot be looked at (a name too long, a loop of links)."""
    try:
        _check(out, mark_of)
    except OSError as error:
        raise refusal(out, "write the report to", error, "give another --out") from None


def _check(out: Path, mark_of: Mapping[str, str]) -> None:
    if out.is_symlink() and not out.exists():
        raise InputError(f"--out {str(out)!r} is a broken symbolic link; give a folder")
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {str(out)!r} is a file; give a folder for the report")
    for name in ENTRIES:
        entry = out / name
        if _ours(entry) or not (entry.exists() or entry.is_symlink()):
            continue
        if not _marked(entry, mark_of.get(name, "")):
            raise InputError(f"{str(entry)!r} exists and was not made by diffcompare report; "
                             "choose another --out (a report would replace it)")
    home = out / HOME
    if home.exists() and (home.is_symlink() or not home.is_dir()):
        raise InputError(f"{str(home)!r} is not a report's folder; move it or choose "
                         "another --out")


def write(out: Path, files: Mapping[str, bytes] | Iterable[tuple[str, bytes]],
          say: Say = lambda line: None, rename: Callable = os.replace) -> Path:
    """Make ``files`` (relative path -> bytes, or such pairs as they are made) the current
    report in ``out``.

    ``rename`` is ``os.replace``; tests pass one that fails to check every step.
    Raises ``InputError`` (one line) when the folder cannot be written.
    """
    pairs = files.items() if isinstance(files, Mapping) else files
    try:
        return _write(out, pairs, say, rename)
    except OSError as error:
        raise InputError(f"cannot write the report to {str(out)!r}: "
                         f"{error.strerror or error}") from None


def _write(out: Path, files: Iterable[tuple[str, bytes]], say: Say,
           rename: Callable) -> Path:
    home = out / HOME
    made = [p for p in (out, home) if not p.exists()]  # folders this run creates
    others = sorted(p.name for p in out.iterdir() if p.name != HOME and not _ours(p)) \
        if out.is_dir() and not home.exists() else []
    home.mkdir(parents=True, exist_ok=True)
    undo: list[Callable[[], None]] = []
    try:
        with _locked(home):
            with _signals_held():
                _remove_stale(out)
            staging, manifest = _stage(home, files)
            with _signals_held():
                try:
                    version = _version_folder(home, manifest)
                    if not _intact(version):
                        rename(staging, version)
                        undo.append(lambda: _remove_version(version, lambda line: None))
                    undo += _switch(home, version.name, rename)
                    for name in ENTRIES:
                        undo += _make_entry(out, name, rename)
                    undo.clear()  # the new report is current: no way back from here
                finally:
                    shutil.rmtree(staging, ignore_errors=True)  # gone unless renamed
                _remove_old_versions(home, say)
    except BaseException:
        with _signals_held():
            for step in reversed(undo):
                step()
            for folder in reversed(made):
                _rmdir_if_empty(folder)
        raise
    if others:  # a first report into a folder that holds other things
        say(f"the report is in {str(home)!r}; {' and '.join(ENTRIES)} in {str(out)!r} "
            "link to it, and nothing else there is touched")
        if "figures" in others:
            say(f"left {str(out / 'figures')!r} as it was: no report manifest lists it (an "
                "older report's figures, or your own); delete it if nothing needs it")
    return out / "index.html"


def _remove_old_versions(home: Path, say: Say) -> None:
    """Every version but the current one (what is left of one is tried again next time:
    the new report is already current, so a failure here is only said)."""
    current = home / CURRENT
    keep = os.readlink(current) if current.is_symlink() else None
    for old in sorted(home.glob("v-*")):
        if old.name != keep:
            try:
                _remove_version(old, say)
            except OSError as error:
                say(f"could not remove all of the previous report {str(old)!r}: "
                    f"{error.strerror or error}; the next report tries again")


class _signals_held:
    """Ctrl-C, SIGTERM and SIGHUP wait while the folder changes, and act right after it:
    an interrupted run would otherwise leave half a staging folder, or half an undo."""

    SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}

    def __enter__(self):
        self.previous = signal.pthread_sigmask(signal.SIG_BLOCK, self.SIGNALS)
        return self

    def __exit__(self, *exc):
        signal.pthread_sigmask(signal.SIG_SETMASK, self.previous)


def _version_folder(home: Path, manifest: str) -> Path:
    """The folder of the report whose manifest is ``manifest``: named by its hash, so the
    same report is the same folder; when a folder of that name holds a file someone
    changed, the next free name, since that file must stay."""
    name = "v-" + hashlib.sha256(manifest.encode()).hexdigest()[:16]
    for suffix in ("", *(f"-{k}" for k in range(1, 100))):
        version = home / (name + suffix)
        if not version.exists() or _intact(version):
            return version
    raise InputError(f"{str(home)!r} holds 100 changed copies of this report; remove them")


def manifest_text(digests: Mapping[str, str]) -> str:
    """The manifest of files with these SHA-256 digests (hex), by relative path."""
    lines = [MANIFEST_HEADER] + [f"{digests[name]}  {name}" for name in sorted(digests)]
    return "\n".join(lines) + "\n"


def _stage(home: Path, files: Iterable[tuple[str, bytes]]) -> tuple[Path, str]:
    """A staging folder holding ``files``, written as they come (a large report is never
    whole in memory), and its manifest; interrupted, it removes what it wrote."""
    with _signals_held():  # an interrupt between mkdtemp and ``try`` would leave it
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=home))
    listed = {}
    try:
        os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it private (0700)
        for name, data in files:
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            listed[name] = hashlib.sha256(data).hexdigest()
        manifest = manifest_text(listed)
        (staging / MANIFEST).write_text(manifest)
    except BaseException:
        with _signals_held():
            shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging, manifest


def _switch(home: Path, version: str, rename: Callable) -> list[Callable[[], None]]:
    """Point ``current`` at ``version`` with one rename of a new link over the old one;
    returns how to undo it."""
    current = home / CURRENT
    previous = os.readlink(current) if current.is_symlink() else None
    if previous == version:
        return []
    _replace_with_link(current, version, rename)
    if previous is None:
        return [current.unlink]
    return [lambda: _replace_with_link(current, previous, os.replace)]


def _make_entry(out: Path, name: str, rename: Callable) -> list[Callable[[], None]]:
    entry = out / name
    if _ours(entry):
        return []
    existed = entry.exists() or entry.is_symlink()  # an older report's page (``check``)
    _replace_with_link(entry, link_target(name), rename)
    return [] if existed else [entry.unlink]


def _replace_with_link(path: Path, target: str, rename: Callable) -> None:
    temporary = path.with_name(f".{path.name}-{os.getpid()}.link")
    if temporary.is_symlink():
        temporary.unlink()
    os.symlink(target, temporary)
    try:
        rename(temporary, path)
    except BaseException:
        if temporary.is_symlink():
            temporary.unlink()
        raise


def _ours(entry: Path) -> bool:
    return entry.is_symlink() and os.readlink(entry) == link_target(entry.name)


def _marked(page: Path, mark: str) -> bool:
    if not mark or entry_is_special(page):
        return False
    try:
        with page.open("r", encoding="utf-8", errors="replace") as handle:
            return mark in handle.read(4096)
    except OSError:
        return False


def entry_is_special(path: Path) -> bool:
    """Not a plain file: a folder, a device, a fifo (reading one could wait forever)."""
    return path.is_symlink() or not path.is_file()


# ---- what is ours: manifests, versions, staging ----


def _read_manifest(version: Path) -> dict[str, str] | None:
    """name -> sha256 of every file ``version`` lists, or None when it has no manifest."""
    try:
        lines = (version / MANIFEST).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    if not lines or lines[0] != MANIFEST_HEADER:
        return None
    listed = {}
    for line in lines[1:]:
        digest, _, name = line.partition("  ")
        if name and ".." not in Path(name).parts and not Path(name).is_absolute():
            listed[name] = digest
    return listed


def _intact(version: Path) -> bool:
    listed = _read_manifest(version) if version.is_dir() else None
    return listed is not None and all(_hash(version / name) == digest
                                      for name, digest in listed.items())


def _hash(path: Path) -> str | None:
    if path.is_symlink() or not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _remove_version(version: Path, say: Say) -> None:
    """Delete the files ``version``'s manifest lists, where they still have their hash,
    then its manifest and the folders left empty. Anything else stays."""
    listed = _read_manifest(version)
    if listed is None or version.is_symlink():
        if not version.is_symlink():
            _remove_empty_folders(version)  # what a run killed while deleting it left
        if version.exists() or version.is_symlink():
            say(f"left {str(version)!r}: it has no report manifest")
        return
    kept = []
    for name, digest in sorted(listed.items()):
        path = version / name
        if _hash(path) == digest:
            path.unlink()
        elif path.exists() or path.is_symlink():
            kept.append(name)
    if not kept:
        (version / MANIFEST).unlink()
    _remove_empty_folders(version)
    if version.exists():
        say(f"left {str(version)!r}: it holds files the report did not write "
            f"(e.g. {(kept or ['an unlisted file'])[0]!r})")


def _remove_empty_folders(top: Path) -> None:
    for folder in sorted((p for p in top.rglob("*") if p.is_dir() and not p.is_symlink()),
                         key=lambda p: len(p.parts), reverse=True):
        _rmdir_if_empty(folder)
    _rmdir_if_empty(top)


def _rmdir_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError as error:
        if error.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT):
            raise


def tidy(out: Path) -> None:
    """Remove what a killed run left in ``out``: staging folders and temporary links.
    Under the lock no other run is writing, so every one of them is stale."""
    home = out / HOME
    try:
        if not home.is_dir() or home.is_symlink():
            return
        with _locked(home):
            _remove_stale(out)
    except OSError as error:
        raise refusal(out, "write the report to", error, "give another --out") from None


def _remove_stale(out: Path) -> None:
    home = out / HOME
    _remove_old_versions(home, lambda line: None)
    for staging in home.glob(".staging-*"):
        shutil.rmtree(staging, ignore_errors=True)
    for folder, name in [(home, CURRENT), *((out, entry) for entry in ENTRIES)]:
        for link in folder.glob(f".{name}-*.link"):
            if link.is_symlink():
                link.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class _locked:
    """One report at a time in a folder: a second one is refused, not interleaved. The
    lock is on our folder itself (flock on its descriptor), so it leaves no file."""

    def __init__(self, home: Path):
        self.home = home

    def __enter__(self):
        self.fd = os.open(self.home, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise InputError(f"another diffcompare report is writing to "
                             f"{str(self.home.parent)!r}; wait for it") from None
        return self

    def __exit__(self, *exc):
        os.close(self.fd)
