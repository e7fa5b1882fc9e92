"""diffcompare train: the lecture's network trained from the command line, and --check."""

import io
import re

import pytest
from helpers import run_cli

from diffcompare.cli import main
from diffcompare.train import _Progress


def _final_loss(stdout: str) -> float:
    return float(re.search(r"final loss (\S+)", stdout).group(1))


def test_train_defaults_bring_the_loss_below_001_and_show_predictions():
    done = run_cli("train")
    assert done.returncode == 0, done.stderr
    assert "MLP(3, [4, 4, 1]), tanh in every neuron, 41 parameters" in done.stdout
    assert _final_loss(done.stdout) < 0.01
    assert "step 100/100" in done.stdout
    table = done.stdout.split("prediction")[1]
    predictions = [float(line.split()[-1]) for line in table.strip().splitlines()[1:]]
    assert [round(p) for p in predictions] == [1, -1, -1, 1]


def test_train_is_reproducible_and_the_seed_matters(capsys):
    outputs = []
    for seed in ("3", "3", "4"):
        assert main(["train", "--steps", "20", "--seed", seed]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1] != outputs[2]


def test_train_options_change_the_run(capsys):
    assert main(["train", "--steps", "30", "--learning-rate", "0.05", "--sizes", "8,1",
                 "--activation", "relu", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "MLP(3, [8, 1]), relu in every neuron, 41 parameters, seed 1" in out
    assert "30 steps of SGD, learning rate 0.05" in out


def test_train_check_prints_every_parameter_by_three_methods_and_exits_0():
    done = run_cli("train", "--check", "--sizes", "2,1")
    assert done.returncode == 0, done.stderr
    for name in ["w1_1_1", "w1_1_3", "b1_1", "w1_2_2", "b1_2", "w2_1_1", "w2_1_2", "b2_1"]:
        assert f"df/d{name} " in done.stdout
    assert "symbolic (exact)" in done.stdout and "finite difference" in done.stdout
    assert done.stdout.strip().splitlines()[-1].startswith("AGREE")
    assert "within 1e-10" in done.stdout
    assert "sympy is differentiating" in done.stderr


@pytest.mark.parametrize("args", [
    ["--steps", "-1"], ["--steps", "many"], ["--sizes", "4,2"], ["--sizes", "4,,1"],
    ["--sizes", "0,1"], ["--learning-rate", "0"], ["--lr", "nan"], ["--activation", "gelu"],
    ["--seed", "x"], ["--format", "nope"], ["--bogus"], ["--check", "--sizes", "20,1"],
])
def test_train_bad_options_are_one_line_and_exit_2(args, capsys):
    assert main(["train", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1 and "Traceback" not in captured.err


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_train_progress_is_a_live_line_on_a_terminal_and_lines_otherwise():
    terminal = _Terminal()
    progress = _Progress(terminal, 3)
    for step in (1, 2, 3):
        progress(step, 1.0 / step)
    assert terminal.getvalue() == ("\rstep 1/3  loss 1\rstep 2/3  loss 0.5"
                                   "\rstep 3/3  loss 0.333333\n")
    terminal = _Terminal()
    progress = _Progress(terminal, 2)
    progress(1, 0.123456)
    progress(2, 0.5)  # shorter: padded so that no digit of the line before is left
    assert terminal.getvalue() == "\rstep 1/2  loss 0.123456\rstep 2/2  loss 0.5     \n"
    log = io.StringIO()
    progress = _Progress(log, 100)
    for step in range(1, 101):
        progress(step, 0.5)
    assert len(log.getvalue().splitlines()) == 10


def test_train_divergence_is_warned_about(capsys):
    from diffcompare.cli import main

    main(["train", "--steps", "3", "--learning-rate", "1e308"])
    assert "diverged" in capsys.readouterr().err


@pytest.mark.parametrize("output", [[], ["--json"]], ids=["table", "json"])
def test_train_check_of_a_diverged_run_leaves_one_line_on_stderr(output):
    # Regression: with --json the progress lines went to stderr before the error line.
    done = run_cli("train", "--steps", "3", "--learning-rate", "1e308", "--check", *output)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("diffcompare: training "
                                                                   "diverged")
    assert "step 3/3" not in done.stderr


def test_train_json_check_still_shows_its_progress_on_stderr(capsys):
    assert main(["train", "--steps", "2", "--sizes", "2,1", "--check", "--json"]) == 0
    captured = capsys.readouterr()
    assert "step 2/2  loss" in captured.err and captured.out.startswith("{")
