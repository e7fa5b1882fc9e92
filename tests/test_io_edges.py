"""Where output goes that is not a plain new file: symbolic links, private files, fifos,
folders, a full disk, a closed pipe, an empty name; and the plots of degenerate reports.

No test here writes to anything under /dev: a device is stood in for by a fifo.
"""

from __future__ import annotations

import errno
import io
import os
import stat
import subprocess
import sys
import warnings

import pytest
from helpers import ROOT, run_cli

from diffcompare import draw, files, pictures
from diffcompare.cli import main
from diffcompare.language.corpus_file import read
from diffcompare.language.errors import InputError
from diffcompare.language.parse import parse
from diffcompare.methods import autograd
from diffcompare.report import cases as report
from diffcompare.report import command as report_command
from diffcompare.report import plots as report_plots
from diffcompare.report.studies import Scaling

SVG_START = "<svg "


# ---- write_atomically: whatever the target is, it stays what it was ----


def test_write_atomically_follows_a_symbolic_link_to_its_target(tmp_path):
    target = tmp_path / "real.svg"
    target.write_text("old")
    link = tmp_path / "link.svg"
    link.symlink_to("real.svg")
    files.write_atomically(link, "new")
    assert link.is_symlink() and os.readlink(link) == "real.svg"
    assert target.read_text() == "new"
    assert sorted(os.listdir(tmp_path)) == ["link.svg", "real.svg"]


def test_write_atomically_keeps_an_existing_files_permissions(tmp_path):
    path = tmp_path / "private.svg"
    path.write_text("old")
    path.chmod(0o600)
    files.write_atomically(path, "new")
    assert path.read_text() == "new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_write_atomically_writes_into_a_fifo_instead_of_replacing_it(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader, so opening to write cannot wait
    try:
        files.write_atomically(fifo, "through the pipe")
        assert os.read(reader, 1000) == b"through the pipe"
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert os.listdir(tmp_path) == ["pipe"]


def test_write_atomically_refuses_a_folder(tmp_path):
    folder = tmp_path / "graph.svg"
    folder.mkdir()
    with pytest.raises(IsADirectoryError):
        files.write_atomically(folder, "text")
    assert folder.is_dir() and os.listdir(folder) == []
    assert os.listdir(tmp_path) == ["graph.svg"]


def test_cli_graph_into_a_fifo_writes_the_picture_and_leaves_the_fifo(tmp_path):
    fifo = tmp_path / "graph.svg"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        done = run_cli("x**2", "--at", "x=1", "--graph", str(fifo))
        picture = os.read(reader, 1 << 16).decode()
    finally:
        os.close(reader)
    assert done.returncode == 0, done.stderr
    assert picture.startswith(SVG_START) and picture.endswith("</svg>\n")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_write_atomically_refuses_a_fifo_nobody_reads_instead_of_waiting(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(files.CannotWrite, match="a fifo that no process is reading"):
        files.write_atomically(fifo, "nobody listens")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_write_atomically_refuses_a_socket(tmp_path):
    import socket

    path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(path))
        with pytest.raises(files.CannotWrite, match="a block device or a socket"):
            files.write_atomically(path, "text")


def test_cli_graph_into_a_fifo_nobody_reads_is_refused_without_waiting(tmp_path):
    # Regression: `--graph fifo` waited forever for a reader.
    fifo = tmp_path / "graph.svg"
    os.mkfifo(fifo)
    done = run_cli("x**2", "--at", "x=1", "--graph", str(fifo), timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (f"diffcompare: cannot write the graph to {str(fifo)!r}: it is a "
                           "fifo that no process is reading (start the reader first); give "
                           "another --graph FILE.svg\n")


def test_cli_graph_where_no_file_can_be_made_says_so(capsys):
    # Regression: `--graph /proc/self/status` said "No such file or directory".
    assert main(["x**2", "--at", "x=1", "--graph", "/proc/self/status"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "it is written by putting a new file in its place, " \
        "and none can be made in '/proc/" in err


def test_cli_graph_into_a_folder_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["x**2", "--at", "x=1", "--graph", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "is a directory" in captured.err
    assert captured.out == ""


def test_cli_graph_through_a_symbolic_link_keeps_the_link(tmp_path):
    (tmp_path / "real.svg").write_text("old")
    (tmp_path / "link.svg").symlink_to("real.svg")
    assert main(["x**2", "--at", "x=1", "--graph", str(tmp_path / "link.svg")]) == 0
    assert (tmp_path / "link.svg").is_symlink()
    assert (tmp_path / "real.svg").read_text().startswith(SVG_START)


# ---- empty names ----


@pytest.mark.parametrize("args, option", [
    (["x**2", "--at", "x=1", "--graph", ""], "--graph"),
    (["report", "--out", ""], "--out"),
    (["report", "--corpus", ""], "--corpus"),
])
def test_cli_empty_file_name_is_refused_in_one_line(args, option, capsys, tmp_path,
                                                    monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and f"{option} needs a" in captured.err
    assert captured.out == "" and os.listdir(tmp_path) == []


# ---- names too long, and other paths the file system refuses ----

LONG = "x" * 300  # longer than any file system's limit on one name (255 bytes)


@pytest.mark.parametrize("args, doing", [
    (["x", "--engine", f"{LONG}.py"], "cannot read"),  # check's own reading of the spec
    (["x**2", "--at", "x=1", "--graph", f"{LONG}.svg"], "cannot write the graph to"),
    ([f"@{LONG}", "--at", "x=1"], "cannot read the expression from"),
    (["grade", LONG], "cannot read the answers from"),
    (["report", "--corpus", LONG], "cannot read the corpus from"),
    (["report", "--out", LONG], "cannot write the report to"),
    (["report", "--out", f"{LONG}/report"], "cannot write the report to"),
], ids=["engine", "graph", "at-file", "grade", "report-corpus", "report-out",
        "report-out-inside"])
def test_cli_file_name_too_long_is_one_line_and_exit_2(args, doing, capsys, tmp_path,
                                                       monkeypatch):
    # Regression: --engine and report --out gave "internal error (OSError: [Errno 36] ...)"
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and doing in err and "file name too long" in err.lower()
    assert "internal error" not in err and os.listdir(tmp_path) == []


@pytest.mark.parametrize("blocked", ["grades.json", "grades.html"])
def test_grade_output_that_cannot_be_written_is_one_line_and_exit_2(blocked, tmp_path,
                                                                   capsys):
    # Regression: a folder where grades.json goes was an internal error (IsADirectoryError).
    answers = tmp_path / "answers.csv"
    answers.write_text("student,function,at,derivative\nada,x**2,x=1,2*x\n")
    (tmp_path / "out" / blocked).mkdir(parents=True)
    assert main(["grade", str(answers), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"cannot write the grades to '{tmp_path / 'out' / blocked}': it is a directory; " \
        "give another --out" in err


# ---- standard output that cannot be written ----


class _FullDisk(io.StringIO):
    """Standard output on a full disk: every write and flush fails as /dev/full's do."""

    def write(self, text):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def flush(self):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("args", [
    ["x**2", "--at", "x=1"],
    ["x**2", "--at", "x=1", "--json"],
    ["--version"],
    ["train", "--steps", "1"],
])
def test_cli_output_on_a_full_disk_is_one_line_and_exit_2(args, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdout", _FullDisk())
    assert main(args) == 2
    error = capsys.readouterr().err
    assert error == f"diffcompare: cannot write the output: {os.strerror(errno.ENOSPC)}\n"


def _run_with_closed(descriptor: int, *args: str) -> subprocess.CompletedProcess:
    """The command started as the shell starts it after ``>&-`` (1) or ``2>&-`` (2)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "diffcompare", *args], capture_output=True,
                          text=True, timeout=120, env=env, cwd=ROOT,
                          preexec_fn=lambda: os.close(descriptor))


@pytest.mark.parametrize("args", [["-V"], ["x", "--at", "x=1"]])
def test_cli_with_standard_output_closed_is_one_line_and_exit_2(args):
    # Regression: `diffcompare -V >&-` was "internal error (AttributeError: 'NoneType'
    # object has no attribute 'write')", exit 70.
    done = _run_with_closed(1, *args)
    assert done.returncode == 2
    assert done.stderr == ("diffcompare: standard output is closed; send it somewhere, "
                           "e.g. > out.txt, or > /dev/null to keep only the exit status\n")


@pytest.mark.parametrize("args, status", [
    (["foo(x)"], 2),
    (["x", "--at", "x=1"], 0),
    (["grade", "no/such/answers.csv"], 2),
])
def test_cli_with_standard_error_closed_keeps_its_exit_status(args, status):
    # Regression: with `2>&-` bad input exited 1 (the error message itself failed).
    done = _run_with_closed(2, *args)
    assert done.returncode == status
    assert "Traceback" not in done.stdout


def test_cli_messages_that_cannot_be_written_do_not_change_the_status(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stderr", _FullDisk())
    assert main(["foo(x)"]) == 2
    assert main(["x**2", "--at", "x=1"]) == 0


def test_cli_output_into_a_closed_pipe_exits_quietly():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "diffcompare", "x**2*sin(y) + tanh(x*y)", "--at", "x=1,y=2",
         "--sweep"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    process.stdout.close()  # as `| head -0` would, before anything is written
    error = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0
    assert error == ""


# ---- the graph's size: the nodes the picture would draw ----


def test_graph_refusal_counts_the_engines_nodes_as_the_cost_line_does(tmp_path):
    expression = parse("+".join(f"x*{i}" for i in range(1200)))
    point = {"x": 1}
    engine_nodes = autograd.differentiate(expression, point).cost.size
    assert expression.size != engine_nodes  # the tree counts each number as a node
    why_not = pictures.write_expression_svg(expression, point, tmp_path / "big.svg")
    assert f"has {engine_nodes} nodes" in why_not
    assert not (tmp_path / "big.svg").exists()


def test_graph_of_a_big_tree_with_a_small_engine_graph_is_drawn(tmp_path):
    expression = parse("+".join(f"x*{i}" for i in range(800)))  # tree 2399, engine 1600 nodes
    assert expression.size > draw.MAX_NODES
    assert pictures.write_expression_svg(expression, {"x": 1}, tmp_path / "g.svg") is None
    assert (tmp_path / "g.svg").read_text().count("<rect") == 1600


def test_cli_refused_graph_is_not_announced_as_written(tmp_path, capsys):
    text = "+".join(f"x*{i}" for i in range(1200))
    assert main([text, "--at", "x=1", "--graph", str(tmp_path / "big.svg")]) == 0
    captured = capsys.readouterr()
    assert "no graph written: the graph has 2400 nodes" in captured.err
    assert "graph written" not in captured.out and "2400 graph nodes" in captured.out


# ---- report options and degenerate plots ----


@pytest.mark.parametrize("cap", ["1e10", "inf", "nan", "0"])
def test_report_time_cap_out_of_range_is_one_line_and_exit_2(cap, capsys, tmp_path):
    assert main(["report", "--out", str(tmp_path / "out"), "--timings",
                 "--time-cap", cap]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "--time-cap" in captured.err
    assert f"at most {report_command.MAX_TIME_CAP:g}" in captured.err
    assert not (tmp_path / "out").exists()


def test_report_scaling_figure_with_every_run_over_the_cap():
    cap = 1e-9
    scaling = Scaling("seconds", (1, 2), cap, (cap, cap),
                      {method: (None, None) for method in ("finite_difference", "autograd",
                                                           "symbolic")})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        picture = report_plots.scaling_figure(scaling)
    assert "every run passed the cap" in picture


def test_report_of_only_undefined_cases_draws_without_warnings(tmp_path):
    corpus = tmp_path / "undefined.txt"
    corpus.write_text("log(x) @ x=-1\n")
    entries, problems = read(str(corpus))
    built = report.build(entries, problems, sizes=(1,), depths=(1,))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figures = report_plots.figures(built)
    assert "no case has an exact derivative" in figures["accuracy.svg"]


def test_report_of_only_undefined_cases_prints_nothing_on_stderr(tmp_path):
    corpus = tmp_path / "undefined.txt"
    corpus.write_text("log(x) @ x=-1\n")
    done = run_cli("report", "--corpus", str(corpus), "--out", str(tmp_path / "out"),
                   "--max-n", "1")
    assert done.returncode == 0 and done.stderr == ""


# ---- the report's own pages: links and permissions as write_atomically keeps them ----


def test_report_page_a_user_replaced_by_a_link_is_left_alone(tmp_path):
    from test_report import tiny_report

    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    report_command.write(tiny_report(), out)
    elsewhere.mkdir()
    (elsewhere / "README.md").write_text("# mine\n")
    (out / "README.md").unlink()
    (out / "README.md").symlink_to(elsewhere / "README.md")
    with pytest.raises(InputError, match="was not made by diffcompare report"):
        report_command.write(tiny_report(), out)
    assert (out / "README.md").is_symlink()
    assert (elsewhere / "README.md").read_text() == "# mine\n"
