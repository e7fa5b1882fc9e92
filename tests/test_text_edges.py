"""Regression tests for the edges of the text a user sees: messages, help examples, limits.

Each test names the bug from the user review that it pins.
"""

import random
import re

import pytest
from helpers import run_cli

from diffcompare import InputError, compare
from diffcompare.check.user_engine import load
from diffcompare.cli import main
from diffcompare.gradcheck import check
from diffcompare.language.corpus_file import parse_corpus, read
from diffcompare.nn import MLP
from diffcompare.train import MAX_STEPS, XS, YS, configure

# ---- train ----


def test_train_check_after_divergence_is_one_line_about_the_learning_rate():
    # bug: an --at message about b2_1=-Infinity, after the notice that sympy is starting
    done = run_cli("train", "--check", "--sizes", "2,1", "--learning-rate", "1e308",
                   "--steps", "5")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "training diverged" in lines[0] and "--learning-rate" in lines[0]
    assert "b2_1" not in lines[0] and "sympy" not in lines[0]


def test_gradcheck_refuses_infinite_parameters_by_name():
    model = MLP(3, [2, 1], rng=random.Random(0))
    model.parameters()[-1].data = float("-inf")
    with pytest.raises(InputError, match=r"b2_1 is not finite"):
        check(model, XS, YS)


def test_train_divergence_of_the_parameters_alone_is_warned_about(capsys):
    # with tanh the loss stays finite (8.0) while the parameters become infinite
    assert main(["train", "--sizes", "2,1", "--learning-rate", "1e308", "--steps", "5"]) == 0
    assert "diverged" in capsys.readouterr().err


def test_train_steps_beyond_the_maximum_are_refused_in_one_line(capsys):
    # bug: --steps 1000000000000 was accepted and would have run for days
    assert main(["train", "--steps", str(MAX_STEPS + 1)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert f"at most {MAX_STEPS:,}" in captured.err


def _help_examples() -> list[list[str]]:
    import argparse

    parser = argparse.ArgumentParser()
    configure(parser)
    return [line.split()[2:] for line in parser.epilog.splitlines()
            if line.strip().startswith("diffcompare train")]


@pytest.mark.parametrize("args", [a for a in _help_examples() if "--check" not in a],
                         ids=" ".join)
def test_train_help_examples_reach_the_target_loss_without_warnings(args, capsys):
    # bug: the help's "--sizes 8,1 --activation relu" ended with a warning and all-0 predictions
    assert main(["train", *args]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "(below 0.01)" in captured.out


def test_train_help_has_an_example_of_activation_and_of_check():
    examples = [" ".join(args) for args in _help_examples()]
    assert any("--activation" in example for example in examples)
    assert any("--check" in example for example in examples)


# ---- corpus files ----


def test_corpus_file_with_a_byte_order_mark_is_read(tmp_path):
    # bug: "invalid non-printable character U+FEFF" for files saved on Windows
    path = tmp_path / "windows.txt"
    path.write_bytes(b"\xef\xbb\xbfx**2 @ x=1\r\nsin(x) @ x=2\r\n")
    entries, problems = read(path)
    assert problems == []
    assert [(e.case.expression, e.case.at) for e in entries] == [("x**2", "x=1"),
                                                                  ("sin(x)", "x=2")]


def test_corpus_line_with_two_separators_says_so():
    # bug: "syntax error: cannot assign to expression here. Maybe you meant '=='..."
    entries, problems = parse_corpus("x**2 @ x=1 @ y=2\n", "c.txt")
    assert entries == [] and len(problems) == 1
    message = problems[0].message
    assert message.startswith("c.txt line 1: the line has 2 '@'")
    assert "syntax error" not in message and "==" not in message


# ---- the Python API ----


@pytest.mark.parametrize("expression, at, accepted", [
    (None, "x=1", "the expression as a str"),
    (b"x", "x=1", "the expression as a str"),
    ("x", 5, "the point as a str"),
    ("x", ["x", 1], "the point as a str"),
])
def test_compare_wrong_types_are_a_type_error_saying_what_is_accepted(expression, at,
                                                                       accepted):
    # bug: AttributeError: ... has no attribute 'size' / 'items'
    with pytest.raises(TypeError, match=accepted):
        compare(expression, at=at)


@pytest.mark.parametrize("at", ["y=1", {"y": 1}, "x=1,x=2", "x"])
def test_compare_point_errors_do_not_name_the_command_line_option(at):
    # bug: Python callers were told about --at, an option they never saw
    with pytest.raises(InputError, match="the point") as caught:
        compare("x", at=at)
    assert "--at" not in str(caught.value)


# ---- a user's engine ----


def test_engine_with_a_syntax_error_names_its_line_once(tmp_path):
    # bug: "SyntaxError: invalid syntax (syn.py, line 1) (line 1)"
    path = tmp_path / "syn.py"
    path.write_text("x = 1\ndef f(:\n")
    with pytest.raises(InputError) as caught:
        load(f"{path}:Value")
    message = caught.value.one_line()
    assert "SyntaxError" in message
    assert len(re.findall(r"line 2\b", message)) == 1, message
