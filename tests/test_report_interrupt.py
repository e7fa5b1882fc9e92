"""Interrupted reports lose nothing (issue 16 §4-5).

A report of corpus A is in OUT, with a user's file beside it; then a report of corpus B is
started and killed at 20 random moments (SIGINT, SIGTERM and SIGKILL in turn), and
written again with a fault injected at each rename of the swap. Every time, afterwards,
OUT is byte for byte either the report of A (the previous output) or, when the kill came
after the one rename that makes B current, the whole report of B; and no staging folder
or temporary link is left (after SIGKILL, once ``folder.tidy``, which every run does
first, has run).

The runs are forks of this process calling the command's ``main``, so that each costs the
report's own work and not Python's start-up: the test stays within about half a minute.
"""

import errno
import os
import random
import signal
import time
from pathlib import Path

import pytest
from test_report import snapshot

from diffcompare.cli import main
from diffcompare.language.corpus_file import parse_corpus
from diffcompare.language.errors import InputError
from diffcompare.report import command as report_command
from diffcompare.report import folder
from diffcompare.report.cases import build

CORPUS_A = "# a\nx**2 @ x=3\n"
CORPUS_B = "# b\nsin(x)*y @ x=1,y=2\n"
KILLS = 20
SEED = 16


def _report(corpus: Path, out: Path) -> int:
    """Run ``diffcompare report`` in a forked child; returns its pid."""
    pid = os.fork()
    if pid == 0:  # the child: run the command and leave, whatever happens
        status = 70
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            status = main(["report", "--corpus", str(corpus), "--out", str(out),
                           "--jobs", "1", "--max-n", "1"])
        finally:
            os._exit(status)
    return pid


def _wait(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    return status


def _leftovers(out: Path) -> list[str]:
    home = out / folder.HOME
    found = [p.name for p in home.glob(".staging-*")] if home.exists() else []
    return found + [p.name for p in out.rglob(".*.link")]


@pytest.fixture(scope="module")
def states(tmp_path_factory):
    root = tmp_path_factory.mktemp("interrupt")
    corpus_a, corpus_b = root / "a.txt", root / "b.txt"
    corpus_a.write_text(CORPUS_A)
    corpus_b.write_text(CORPUS_B)
    out = root / "out"
    out.mkdir()
    (out / "notes.txt").write_text("the user's own file")
    assert _wait(_report(corpus_b, out)) == 0
    after_b = snapshot(out)
    start = time.monotonic()
    assert _wait(_report(corpus_a, out)) == 0
    seconds = time.monotonic() - start
    return root, out, snapshot(out), after_b, seconds


def test_report_killed_at_random_moments_leaves_the_previous_report_whole(states):
    root, out, after_a, after_b, seconds = states
    chance = random.Random(SEED)
    kinds = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)
    for k in range(KILLS):
        # half the moments anywhere in the run, half near its end, where it writes
        moment = chance.uniform(0, seconds) if k % 2 else chance.uniform(0.8, 1.05) * seconds
        pid = _report(root / "b.txt", out)
        time.sleep(moment)
        os.kill(pid, kinds[k % 3])
        _wait(pid)
        if kinds[k % 3] != signal.SIGKILL:
            assert _leftovers(out) == [], (k, moment)
        folder.tidy(out)  # what the next run does first
        assert _leftovers(out) == []
        now = snapshot(out)
        assert now in (after_a, after_b), (k, kinds[k % 3], moment)
        if now == after_b:  # put A back for the next kill
            assert _wait(_report(root / "a.txt", out)) == 0
    assert snapshot(out) == after_a


def _failing_at(k: int):
    calls = []

    def rename(source, target):
        calls.append(target)
        if len(calls) == k:
            raise OSError(errno.EIO, "injected fault")
        os.replace(source, target)
    return rename, calls


def _files(corpus: str) -> dict[str, bytes]:
    entries, _ = parse_corpus(corpus, "c.txt")
    return report_command.render(build(entries, sizes=(1,), depths=(1,), studies=False))


@pytest.mark.parametrize("first", [True, False], ids=["first report", "replacing one"])
def test_report_fault_at_every_rename_leaves_the_previous_output_whole(tmp_path, first):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("the user's own file")
    if not first:
        folder.write(out, _files(CORPUS_A))
    before = snapshot(out)
    files = _files(CORPUS_B)
    k = 0
    while True:
        k += 1
        rename, calls = _failing_at(k)
        try:
            folder.write(out, files, rename=rename)
        except InputError as error:
            assert "injected fault" in str(error)
            assert snapshot(out) == before, (k, calls)
            assert _leftovers(out) == []
            continue
        break  # the k-th rename was never reached: every rename has had its fault
    assert k - 1 == (4 if first else 2)  # version, current, and the two links at first
    assert (out / "notes.txt").read_text() == "the user's own file"
    assert "sin" in (out / "index.html").read_text()


def test_an_interrupt_while_the_pool_stops_reaches_the_command(monkeypatch):
    # Ctrl-C that arrived while run_many's pool was being stopped, after the last case, was
    # "Exception ignored in: <generator object run_many>": the generator was left to the
    # garbage collector, the report was written over the previous one and the exit was 0.
    def run_many(function, items, jobs, deadline):
        try:
            for item in items:
                yield function(item)
        finally:
            raise KeyboardInterrupt

    monkeypatch.setattr("diffcompare.report.cases.batch.run_many", run_many)
    entries, problems = parse_corpus("x**2 @ x=3\n", "corpus.txt")
    with pytest.raises(KeyboardInterrupt):
        build(entries, problems, studies=False)
