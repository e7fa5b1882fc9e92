"""The conventions users expect of a command-line tool: - and @FILE, --version and -V,
--claim, schema_version in every JSON document, --json for train, shell completion."""

import json

import pytest
from helpers import run_cli

from diffcompare.cli import main


def test_dash_reads_the_expression_from_standard_input():
    done = run_cli("-", "--at", "x=3", input="3*x**2 - 4*x + 5\n")
    assert done.returncode == 0, done.stderr
    assert "f(x) = 3*x**2 - 4*x + 5" in done.stdout


def test_at_file_reads_the_expression_from_a_file(tmp_path, capsys):
    source = tmp_path / "f.txt"
    source.write_text("c = a*b\nc + a\n")
    assert main([f"@{source}", "--at", "a=2,b=3"]) == 0
    assert "df/da" in capsys.readouterr().out


def test_at_file_and_dash_accept_a_leading_byte_order_mark(tmp_path, capsys):
    # Regression: Notepad's UTF-8 files start with U+FEFF, which the parser refused as
    # "invalid non-printable character U+FEFF".
    source = tmp_path / "f.txt"
    source.write_bytes(b"\xef\xbb\xbfx**2\n")
    assert main([f"@{source}", "--at", "x=3"]) == 0
    assert "f(x) = x**2" in capsys.readouterr().out
    done = run_cli("-", "--at", "x=3", input="\ufeffx**2\n")
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("argument, message", [
    ("@/no/such/file", "cannot read the expression from '/no/such/file'"),
    ("@EMPTY", "is empty; write the expression in it"),
])
def test_unreadable_expression_file_is_one_line_and_exit_2(argument, message, tmp_path,
                                                            capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    assert main([argument.replace("EMPTY", str(empty)), "--at", "x=1"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version_flags_print_the_version_not_a_derivative(flag, capsys):
    assert main([flag]) == 0
    assert capsys.readouterr().out.startswith("diffcompare 0.")


def test_help_lists_version_claim_and_completion(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "-V, --version" in out and "--claim" in out and "--print-completion" in out


def test_claim_is_a_column_judged_like_the_others(capsys):
    assert main(["3*x**2 - 4*x + 5", "--at", "x=3", "--claim", "6*x - 4"]) == 0
    out = capsys.readouterr().out
    assert out.count("claim") >= 2 and "claim within 1e-09" in out
    assert main(["3*x**2 - 4*x + 5", "--at", "x=3", "--claim", "6*x"]) == 1
    assert "claim df/dx = 18.0 but exact is 14.0" in capsys.readouterr().out


def test_claims_of_several_variables_name_their_variable(capsys):
    assert main(["x**2*sin(y)", "--at", "x=1,y=2", "--claim", "x: 2*x*sin(y)",
                 "--claim", "y: x**2*cos(y)", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["errors"]["claim"]["y"]["within"] is True


@pytest.mark.parametrize("claims, message", [
    (["2*x"], "say which derivative the claim is"),
    (["x: 2*x*sin(y)"], "no claim for df/dy"),
    (["z: 1", "x: 1", "y: 1"], "'z', which is not a variable of f"),
    (["x: 2*x +", "y: 1"], "df/dx cannot be read: syntax error"),
    (["x: w", "y: 1"], "df/dx uses w, which f does not have"),
])
def test_bad_claims_are_one_line_errors(claims, message, capsys):
    argv = ["x**2*sin(y)", "--at", "x=1,y=2"]
    for claim in claims:
        argv += ["--claim", claim]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_every_json_document_has_a_schema_version(capsys):
    assert main(["x*exp(-x)", "--at", "x=0.1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["schema_version"] == 1
    main(["check", "diffcompare.engine:Value", "--json"])
    assert json.loads(capsys.readouterr().out)["schema_version"] == 1


def test_train_json_is_one_document_with_progress_on_stderr(capsys):
    assert main(["train", "--steps", "3", "--json"]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["schema_version"] == 1 and document["steps"] == 3
    assert len(document["predictions"]) == 4 and "step 3/3" in captured.err


def test_print_completion_writes_a_bash_script(capsys):
    pytest.importorskip("shtab", reason="shtab is not installed (pip install -e '.[test]')")
    assert main(["--print-completion", "bash"]) == 0
    script = capsys.readouterr().out
    assert "complete" in script and "--claim" in script
