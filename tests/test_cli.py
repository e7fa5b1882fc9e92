import json

import pytest
from helpers import ROOT, run_cli

from diffcompare.cli import main


def test_cli_quadratic_table_and_exit_status_0():
    done = run_cli("3*x**2 - 4*x + 5", "--at", "x=3")
    assert done.returncode == 0, done.stderr
    assert "df/dx" in done.stdout and "14.0" in done.stdout
    assert done.stdout.strip().splitlines()[-1].startswith("AGREE")


def test_cli_two_variables_shows_every_partial_and_17_digits():
    done = run_cli("x**2*sin(y) + tanh(x*y)", "--at", "x=1,y=2")
    assert done.returncode == 0
    for text in ("df/dx", "df/dy", "symbolic", "autograd", "finite difference",
                 "1.9598965033576923"):
        assert text in done.stdout


def test_cli_without_point_chooses_and_prints_one():
    done = run_cli("x**2*sin(y) + tanh(x*y)")
    assert done.returncode == 0
    assert "chosen for you" in done.stdout


def test_cli_program_from_micrograd(capsys):
    status = main(["c = a + b; d = a*b + b**3; c += c + 1; e = c - d; f = e**2; f",
                   "--at", "a=-4,b=2"])
    assert status == 0
    assert "df/da" in capsys.readouterr().out


def test_cli_json_document(capsys):
    status = main(["x*exp(-x)", "--at", "x=0.1", "--json"])
    document = json.loads(capsys.readouterr().out)
    assert status == 0
    assert document["expression"] == "x*exp(-x)"
    assert document["point"] == {"x": 0.1}
    assert set(document["value"]) == {"symbolic", "autograd", "finite_difference", "forward"}
    assert document["gradient"]["x"]["symbolic"] == pytest.approx(0.8143536762323636)
    assert document["agree"] is True


@pytest.mark.parametrize("fmt, marker", [("github", "|"), ("latex", "\\begin{tabular}"),
                                         ("html", "<table>")])
def test_cli_format_option(capsys, fmt, marker):
    assert main(["x**2", "--at", "x=1", "--format", fmt]) == 0
    assert marker in capsys.readouterr().out


def test_cli_undefined_point_reports_each_method_and_exits_3(capsys):
    assert main(["log(x)", "--at", "x=-1"]) == 3
    out = capsys.readouterr().out
    assert "not a real number" in out and "log(-1.0)" in out


@pytest.mark.parametrize("args", [
    ["x.__class__"],
    ["foo(x)"],
    ["[x for x in [1]]"],
    ["(lambda: 1)()"],
    ["'text'"],
    ["sin(x=1)"],
    ["x", "--at", "x=abc"],
    ["x", "--at", "y=1"],
    ["x", "--bogus"],
    [],
])
def test_cli_bad_input_is_one_line_and_exit_2(args, capsys):
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1 and "Traceback" not in captured.err


def test_cli_import_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "ran"
    done = run_cli(f"__import__('pathlib').Path({str(marker)!r}).touch()")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not marker.exists()


def test_cli_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = [line for line in ci.splitlines() if ".venv" in line][0].strip()
    assert "bash .ci/run" in readme and command in readme


def test_cli_mistyped_command_is_refused_with_a_suggestion(capsys):
    assert main(["trian"]) == 2
    assert "did you mean 'train'" in capsys.readouterr().err
    assert main(["trian", "--at", "trian=1"]) == 0  # a variable of that name still works


def test_cli_unknown_function_suggests_the_closest(capsys):
    assert main(["sinn(x)"]) == 2
    assert "did you mean sin?" in capsys.readouterr().err


def test_cli_implicit_product_gets_a_hint(capsys):
    assert main(["2x"]) == 2
    assert "2*x" in capsys.readouterr().err


def test_cli_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("diffcompare ")


def test_cli_rtol_and_atol_replace_the_bounds(capsys):
    import json

    from diffcompare.cli import main

    assert main(["x*exp(-x)", "--at", "x=0.1", "--rtol", "1e-6", "--atol", "0", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["errors"]["autograd"]["x"]["tolerance"] == 1e-6
    assert main(["x", "--at", "x=1", "--rtol", "-1"]) == 2
    assert "not a tolerance" in capsys.readouterr().err


def test_cli_cost_line_gives_the_range_of_steps_for_many_variables(capsys):
    # Regression: 2,000 variables printed 2,000 "h = ... for xN" on one line.
    from diffcompare.cli import main

    text = " + ".join(f"x{i}*x{i + 1}" for i in range(9)) + " + x0**3"
    point = ",".join(f"x{i}={i + 1}" for i in range(10))
    main([text, "--at", point])
    cost = next(line for line in capsys.readouterr().out.splitlines()
                if line.startswith("cost:"))
    assert "over 10 variables" in cost and "for x3" not in cost
    main(["x*y", "--at", "x=1,y=2"])
    assert "h = 3.8e-06 for x, h = 7.6e-06 for y" in capsys.readouterr().out
