"""What ``check`` is given: odd file names, folders of a class, notebooks that do not
load. Every refusal is one line on stderr with exit status 2; a class run names every
engine uniquely, and counts as engines only the files that define the class."""

import json
import os
import shutil

import pytest
from helpers import ROOT

from diffcompare.check.command import defines_value, engine_specs
from diffcompare.cli import main

ENGINES = ROOT / "tests" / "engines"
CORRECT = (ENGINES / "correct.py").read_text()


def _refused_in_one_line(capsys, args) -> str:
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1, captured.err
    assert "internal error" not in captured.err and "Traceback" not in captured.err
    return captured.err


# ---- file names ----


@pytest.mark.parametrize("suffix", [".py", ""])
def test_file_name_too_long_is_one_line(capsys, suffix):
    # Regression: internal error (OSError: [Errno 36] File name too long)
    err = _refused_in_one_line(capsys, ["check", "x" * 300 + suffix])
    assert "x" * 300 in err


def test_file_name_too_long_in_a_folder_path_is_one_line(capsys):
    err = _refused_in_one_line(capsys, ["check", f"{'y' * 300}/engine.py"])
    assert "file name too long" in err.lower()


def test_file_name_with_a_newline_is_shown_escaped_and_whole(capsys):
    # Regression: "no such file: a", the line cut at the newline
    err = _refused_in_one_line(capsys, ["check", "a\nb.py"])
    assert err == "diffcompare: no such file: 'a\\nb.py'\n"


def test_file_name_with_a_newline_keeps_the_class_table_one_row_each(tmp_path, capsys,
                                                                    monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "odd\nname.py").write_text(CORRECT)
    assert main(["check", "odd\nname.py", "a\tb.py", str(ENGINES / "correct.py")]) == 1
    out = capsys.readouterr().out
    rows = out.split("\n\n")[0].splitlines()[2:]
    assert len(rows) == 3
    assert "odd\\nname.py" in rows[0] and rows[0].split()[1] == "PASS"
    assert "'a\\tb.py'" in rows[1] and "no such file: 'a\\tb.py'" in rows[1]


def test_file_name_with_a_newline_is_escaped_in_the_report_header(tmp_path, capsys):
    odd = tmp_path / "odd\nname.py"
    odd.write_text(CORRECT)
    assert main(["check", str(odd)]) == 0
    assert capsys.readouterr().out.startswith("checking 'odd\\nname.py':Value: ")


# ---- a class: which files are engines ----


def _class_folder(tmp_path):
    """alice: an engine, a network and tests that only import it; bob: an engine."""
    (tmp_path / "alice").mkdir()
    (tmp_path / "bob").mkdir()
    shutil.copy(ENGINES / "correct.py", tmp_path / "alice" / "engine.py")
    shutil.copy(ENGINES / "wrong_tanh.py", tmp_path / "bob" / "engine.py")
    (tmp_path / "alice" / "nn.py").write_text("from engine import Value\n\n\nclass Neuron:\n"
                                              "    pass\n")
    ran = tmp_path / "test_code_ran"
    (tmp_path / "alice" / "test_engine.py").write_text(
        f"from engine import Value\nopen({str(ran)!r}, 'w').close()\n")
    return ran


def test_class_folder_counts_only_files_that_define_value(tmp_path, capsys):
    # Regression: files that only import Value were engines: four rows for two students,
    # "3 of 4 engines pass", and the students' test code was run.
    ran = _class_folder(tmp_path)
    assert main(["check", str(tmp_path), "--jobs", "2"]) == 1
    out = capsys.readouterr().out
    assert out.rstrip().endswith("1 of 2 engines pass")
    assert "nn.py" not in out and "test_engine.py" not in out
    assert not ran.exists()


@pytest.mark.parametrize("source, defines", [
    ("class Value:\n    pass\n", True),
    ("import math\n\nclass Value(object):\n    pass\n", True),
    ("from engine import Value\n", False),
    ("from engine import *\nValue = Value\n", False),
    ("def make():\n    class Value:\n        pass\n", False),
    ("# class Value: in a comment\nx = 'class Value:'\n", False),
    ("class Value:\n    def __init__(self, data)\n", True),  # broken: its row says why
    ("class ValueError2:\n    pass\n", False),
])
def test_class_folder_reads_each_files_source(tmp_path, source, defines):
    path = tmp_path / "engine.py"
    path.write_text(source)
    assert defines_value(path) is defines


def test_class_folder_private_modules_are_not_engines(tmp_path):
    (tmp_path / "_base.py").write_text("class Value:\n    pass\n")
    (tmp_path / "engine.py").write_text("class Value:\n    pass\n")
    assert engine_specs([str(tmp_path)]) == [str(tmp_path / "engine.py")]


# ---- a class: JSON ----


def test_class_json_names_every_engine_uniquely_with_the_same_keys(tmp_path, capsys):
    # Regression: "engine" was the base name (two students' engine.py were both
    # "engine.py:Value"), and an entry that was no engine had no "spec".
    _class_folder(tmp_path)
    (tmp_path / "conftest.py").write_text("class Value:\n    pass\n")  # no micrograd Value
    assert main(["check", str(tmp_path), "--json", "--jobs", "2"]) == 1
    engines = json.loads(capsys.readouterr().out)["engines"]
    names = [entry["engine"] for entry in engines]
    assert names == [f"{tmp_path}/alice/engine.py:Value", f"{tmp_path}/bob/engine.py:Value",
                     f"{tmp_path}/conftest.py:Value"]
    assert len({entry["spec"] for entry in engines}) == 3
    assert len({frozenset(entry) for entry in engines}) == 1  # the same keys in each
    error = engines[2]
    assert error["ok"] is False and "does not look like a micrograd Value" in error["error"]
    assert error["counts"] is None and error["checks"] == []
    assert engines[0]["error"] is None and engines[0]["ok"] is True


# ---- notebooks and files that do not load: one line ----


_HEADER = "# ---\n# jupyter:\n#   jupytext:\n#     formats: ipynb,py:percent\n# ---\n\n"


def _percent(*cells: str) -> str:
    return _HEADER + "".join(f"# %%\n{cell}\n\n" for cell in cells)


# A warning Python prints while compiling (two lines with its source line), then the fault.
_WARNS = "y = 2(3) if False else 0"
_SYNTAX_ERROR = CORRECT.replace("def __add__(self, other):", "def __add__(self, other)")

BROKEN = {
    "syntax error": _percent("import math", _SYNTAX_ERROR),
    "warning, then syntax error": _percent("import math", _WARNS, _SYNTAX_ERROR),
    "prints, then syntax error": _percent("print('a')\nprint('b')", _SYNTAX_ERROR),
    "not a Value": _percent("import math", "print('hi')\nclass Value:\n    pass"),
    "warning, not a Value": _percent(_WARNS, "class Value:\n    pass"),
    "unterminated string": _percent("import math\ns = 'open", CORRECT),
    "unicode junk": _percent("import math\nλ = ∑ 3\n\ufeff\u2028", CORRECT),
    "no cells, a warning": f"import math\n{_WARNS}\nprint('x')\n{CORRECT}",
    "no cells, not a Value": f"{_WARNS}\nclass Value:\n    pass\n",
    "undecodable bytes": _percent("import math\nb = '\udcff'", CORRECT),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
@pytest.mark.parametrize("cls", ["", ":Value", ":math", ":Nope"])
def test_broken_percent_notebook_is_refused_in_one_line(tmp_path, capsys, name, cls):
    # Regression (fuzz): what the file printed while importing (Python's own warnings
    # included) went to stderr before the refusal: three lines instead of one.
    path = tmp_path / "engine.pct.py"
    path.write_text(BROKEN[name], encoding="utf-8", errors="surrogateescape")
    status = main(["check", f"{path}{cls}", "--timeout", "1"])
    captured = capsys.readouterr()
    if status == 2:
        assert captured.out == "" and len(captured.err.splitlines()) == 1, captured.err
    else:  # one that loads is checked, its printing on stderr as `python engine.py`
        assert status in (0, 1) and captured.out


def test_module_attribute_that_is_no_class_lists_the_classes_of_a_percent_file(tmp_path,
                                                                              capsys):
    # "engine.pct" is imported as user_engine: its classes were looked up under the stem
    path = tmp_path / "engine.pct.py"
    path.write_text(CORRECT)
    err = _refused_in_one_line(capsys, ["check", f"{path}:Nope"])
    assert "engine.pct.py has no 'Nope'; it defines Value" in err


def test_class_folder_skips_hidden_folders_and_installed_packages(tmp_path):
    # A student's .venv holds micrograd's own engine.py; a notebook's checkpoints a copy.
    engine = "class Value:\n    pass\n"
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "engine.py").write_text(engine)
    for folder in (".venv/lib/python3.11/site-packages/micrograd", ".ipynb_checkpoints",
                   "bob/lib/site-packages/micrograd"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "engine.py").write_text(engine)
    assert engine_specs([str(tmp_path)]) == [str(tmp_path / "alice" / "engine.py")]


def test_class_folder_a_fifo_or_device_named_py_is_no_engine_and_no_hang(tmp_path):
    # defines_value read each candidate with Path.read_text: a fifo named engine.py
    # blocked check FOLDER forever; a link to /dev/zero would have read without end.
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "engine.py").write_text("class Value:\n    pass\n")
    os.mkfifo(tmp_path / "fifo.py")
    (tmp_path / "zero.py").symlink_to("/dev/zero")
    assert engine_specs([str(tmp_path)]) == [str(tmp_path / "alice" / "engine.py")]
