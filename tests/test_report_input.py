"""Hostile corpus files (issue 16 §4): what is not a file, too large, nested too deep, or
holds characters that change how text is shown."""

import os

import pytest
from helpers import run_cli

from diffcompare.cli import main
from diffcompare.language import input_files
from diffcompare.language.corpus_file import Entry, parse_corpus, read
from diffcompare.language.errors import InputError
from diffcompare.report import cases as report


def test_corpus_that_is_a_fifo_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "corpus.fifo"
    os.mkfifo(fifo)
    done = run_cli("report", "--corpus", str(fifo), "--out", str(tmp_path / "out"),
                   timeout=60)
    assert done.returncode == 2 and "not a regular file" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_corpus_that_is_a_device_is_refused():
    with pytest.raises(InputError, match="not a regular file"):
        read("/dev/zero")


def test_corpus_larger_than_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(input_files, "MAX_BYTES", 100)
    big = tmp_path / "big.txt"
    big.write_text("x**2 @ x=1\n" * 10)
    with pytest.raises(InputError, match="larger than"):
        read(big)


def test_corpus_line_separator_in_a_comment_hides_nothing():
    entries, problems = parse_corpus("# note\u2028more\nx**2 @ x=1\n\u2028\nsin(x) @ x=1\n",
                                     "c.txt")
    assert [e.origin for e in entries] == ["c.txt line 2", "c.txt line 4"]
    assert entries[0].case.name == "note\\u2028more"
    assert problems == []  # a separator alone is a blank line


def test_corpus_control_and_bidi_characters_are_shown_escaped():
    text = "# \u202eevil title\x1b[31m\nx**2 # \u2066hidden @ x=1\nx\u200f + 1 @ x=1\n"
    entries, problems = parse_corpus(text, "c.txt")
    shown = [entries[0].case.name, entries[0].case.expression, problems[0].text,
             problems[0].message]
    for text in shown:
        assert all(ch.isprintable() for ch in text), text
    assert "\\u202e" in shown[0] and "\\x1b" in shown[0] and "\\u2066" in shown[1]


def test_report_case_nested_150_deep_is_handled_not_a_recursion_error():
    line = "sin(" * 150 + "x" + ")" * 150
    entries, problems = parse_corpus(f"{line} @ x=0.5\n", "deep.txt")
    assert not problems
    case = report.build_case(1, Entry(entries[0].case, "deep.txt line 1"))
    # the formulas are the comparison's (no second derivation), printed in full
    assert case.formulas_note == "" and case.formulas["value"].mathml.count("sin") == 150
    assert case.comparison.verdict.status == "agree"
    # sympy out of time: no formulas, and the page says why instead of deriving again
    case = report.build_case(1, Entry(entries[0].case, "deep.txt line 1"), timeout=0.001)
    assert case.formulas == {} and case.work.symbolic is None
    assert case.formulas_note == "sympy's formulas are not shown: timed out after 0.001 s"


@pytest.mark.parametrize("character", ["\u200b", "\u202e", "\u2066", "\u200f", "\x1b",
                                       "\x7f", "\x85", "\u2028"])
def test_corpus_invisible_character_is_named_as_the_main_command_names_it(character,
                                                                          capsys):
    # Regression: the line was escaped before it was parsed, so a zero-width space
    # reached the parser as the text "\u200b": "unexpected character after line
    # continuation character at column 3 ('u')".
    entries, problems = parse_corpus(f"# a title\nx{character}+1 @ x=1\n", "uni.txt")
    assert entries == [] and [problem.line for problem in problems] == [2]
    named = f"invalid non-printable character U+{ord(character):04X} at column 2"
    assert problems[0].message.startswith(f"uni.txt line 2: syntax error: {named}")
    assert all(ch.isprintable() for ch in problems[0].message + problems[0].text)
    assert main([f"x{character}+1", "--at", "x=1"]) == 2
    assert named in capsys.readouterr().err


def test_corpus_character_python_takes_as_white_space_is_refused_by_name():
    # A form feed parses (Python's white space), but "\x0c", as a report shows and
    # parses the line again, would not.
    entries, problems = parse_corpus("x\x0c+1 @ x=1\n", "ff.txt")
    assert entries == []
    assert problems[0].message.startswith("ff.txt line 1: invalid non-printable character "
                                          "U+000C at column 2")


def test_corpus_line_is_parsed_as_written_and_shown_escaped():
    entries, problems = parse_corpus("x**2 # \u2066note @ x=1\n", "c.txt")
    assert problems == []
    case = entries[0].case
    assert case.expression == "x**2 # \\u2066note" and case.at == "x=1"
