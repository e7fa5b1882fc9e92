"""Files a user names are all read one way (``language/input_files``): the ``@FILE``
argument, ``-`` (standard input), ``grade``'s answers and ``report --corpus``.

Regression: ``diffcompare @/dev/zero``, ``diffcompare - < /dev/zero`` and ``diffcompare
grade /dev/zero`` read until the OOM killer came (an internal MemoryError under ``ulimit
-v``), and ``@fifo`` and ``grade fifo`` waited forever for a writer.
"""

import errno
import io
import os
import resource
import subprocess
import sys

import pytest
from helpers import ROOT, run_cli

from diffcompare.cli import main
from diffcompare.language import input_files
from diffcompare.language.errors import InputError

# Address space for a run reading /dev/zero: the command needs a few hundred MiB, and a
# read without a cap fails within this (as under the user's `ulimit -v 1500000`).
ADDRESS_SPACE = 1_500_000 * 1024

# Every command that reads a file the user names: "{name}" is that file, "{out}" a folder.
READERS = [
    pytest.param(["@{name}", "--at", "x=1"], id="@FILE"),
    pytest.param(["grade", "{name}", "--out", "{out}"], id="grade"),
    pytest.param(["report", "--corpus", "{name}", "--out", "{out}"], id="report-corpus"),
]


def _arguments(template: list[str], name, out) -> list[str]:
    return [part.format(name=name, out=out) for part in template]


def _run_capped(args: list[str], stdin=None) -> subprocess.CompletedProcess:
    def cap_memory():
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "diffcompare", *args], stdin=stdin,
                          capture_output=True, text=True, timeout=120, env=env, cwd=ROOT,
                          preexec_fn=cap_memory)


@pytest.mark.parametrize("template", READERS)
def test_every_reader_refuses_a_fifo_without_waiting(template, tmp_path):
    fifo = tmp_path / "answers.csv"
    os.mkfifo(fifo)
    done = run_cli(*_arguments(template, fifo, tmp_path / "out"), timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "is not a regular file" in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("template", READERS)
def test_every_reader_refuses_dev_zero_in_one_line_without_reading_it(template, tmp_path):
    done = _run_capped(_arguments(template, "/dev/zero", tmp_path / "out"))
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("diffcompare: cannot read ")
    assert f"from '/dev/zero': {input_files.NOT_REGULAR}; give a file" in done.stderr


@pytest.mark.parametrize("template", [["-", "--at", "x=1"], ["grade", "-", "--out", "{out}"]],
                         ids=["dash", "grade-dash"])
def test_standard_input_from_dev_zero_is_refused_past_the_limit(template, tmp_path):
    with open("/dev/zero", "rb") as zeros:
        done = _run_capped(_arguments(template, "", tmp_path / "out"), stdin=zeros)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1
    assert "from standard input: it is larger than 16 MiB" in done.stderr


def test_standard_input_is_read_at_most_one_byte_past_the_limit(monkeypatch):
    monkeypatch.setattr(input_files, "MAX_BYTES", 10)
    endless = io.BytesIO(b"x" * 1000)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(endless))
    with pytest.raises(InputError, match="larger than 10 bytes, the limit for an input"):
        input_files.read_text("-", "the expression")
    assert endless.tell() == 11


def test_at_file_larger_than_the_limit_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(input_files, "MAX_BYTES", 10)
    source = tmp_path / "long.txt"
    source.write_text("x + " * 10 + "x")
    assert main([f"@{source}", "--at", "x=1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is larger than 10 bytes" in err


def test_dash_with_standard_input_closed_is_one_line_and_exit_2(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", None)  # as Python leaves it after `<&-`
    assert main(["-", "--at", "x=1"]) == 2
    err = capsys.readouterr().err
    assert err == ("diffcompare: cannot read the expression from standard input: it is "
                   "closed; pipe the text in, or give a file\n")


def test_read_text_drops_a_byte_order_mark_and_refuses_what_is_not_utf8(tmp_path):
    good, bad = tmp_path / "good.txt", tmp_path / "bad.txt"
    good.write_bytes(b"\xef\xbb\xbfx**2\n")
    bad.write_bytes(b"x\xff")
    assert input_files.read_text(good, "the expression") == "x**2\n"
    with pytest.raises(InputError, match=r"not UTF-8 text \(byte 0xff at offset 1\)"):
        input_files.read_text(bad, "the expression")


def test_grade_refuses_earlier_grades_that_are_a_fifo_without_waiting(tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_text("student,function,at,derivative\nada,x**2,x=1,2*x\n")
    (tmp_path / "out").mkdir()
    os.mkfifo(tmp_path / "out" / "grades.csv")
    done = run_cli("grade", str(answers), "--out", str(tmp_path / "out"), timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1
    assert "cannot read the earlier grades" in done.stderr and "another --out" in done.stderr


@pytest.mark.parametrize("error, reason", [
    (OSError(errno.ENOENT, "No such file or directory"), "it does not exist"),
    (OSError(errno.EISDIR, "Is a directory"), "it is a directory"),
    (OSError(errno.ENAMETOOLONG, "File name too long"), "the name is too long for the file"),
    (OSError(errno.ELOOP, "Too many levels of symbolic links"), "go round in a loop"),
    (ValueError("embedded null byte"), "the name holds a NUL byte"),
    (OSError(errno.EACCES, "Permission denied"), "Permission denied"),
])
def test_refusal_says_in_words_why_a_path_could_not_be_used(error, reason):
    message = str(input_files.refusal("f.txt", "read the corpus from", error, "give a file"))
    assert message.startswith("cannot read the corpus from 'f.txt': ")
    assert reason in message and message.endswith("; give a file")
