"""What ``check`` is given: odd file names. Every refusal is one line on stderr with
exit status 2."""

import pytest
from helpers import ROOT

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
    assert "file name too long" in err


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
