"""The import of an engine's file has a limit of its own, ``--import-timeout`` (or
``import_timeout=``): an import that never ends costs that limit, and says so in one
line with the number and the option."""

import time

import pytest

from diffcompare import InputError, check_engine
from diffcompare.check.isolation import EngineProcess
from diffcompare.check.user_engine import check_shape, resolve
from diffcompare.cli import main


# ---- the import's own limit ----


HANGS_AT_IMPORT = "print('training, epoch 1')\nwhile True:\n    pass\n\nclass Value:\n    pass\n"


def test_import_limit_is_an_option_named_with_its_number(tmp_path, capsys):
    # Regression: a fixed 60 s (and 10 more) whatever --timeout said, with a message
    # that gave neither the number nor the option.
    path = tmp_path / "hangs_import.py"
    path.write_text(HANGS_AT_IMPORT)
    start = time.monotonic()
    assert main(["check", str(path), "--timeout", "2", "--import-timeout", "1.5"]) == 2
    seconds = time.monotonic() - start
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1
    assert ("importing hangs_import.py:Value took longer than the 1.5 s import limit "
            "(--import-timeout); last output: training, epoch 1") in captured.err
    assert seconds < 1.5 + 3  # the limit, the start of Python and of the check; no more


def test_import_limit_is_a_keyword_of_check_engine(tmp_path):
    path = tmp_path / "hangs_import.py"
    path.write_text(HANGS_AT_IMPORT)
    with pytest.raises(InputError, match=r"longer than the 0.5 s import limit"):
        check_engine(str(path), import_timeout=0.5)


def test_import_limit_in_a_class_run_costs_each_student_the_limit(tmp_path, capsys):
    for student in ("ann", "ben"):
        (tmp_path / student).mkdir()
        (tmp_path / student / "engine.py").write_text(HANGS_AT_IMPORT)
    start = time.monotonic()
    assert main(["check", str(tmp_path), "--import-timeout", "1", "--jobs", "1"]) == 1
    seconds = time.monotonic() - start
    out = capsys.readouterr().out
    assert out.count("took longer than the 1 s import limit") == 2
    assert seconds < 2 * 1 + 8  # two limits, the references (sympy) once, the starts


def test_import_limit_is_named_when_the_import_hangs_under_another_request(tmp_path):
    # the shape test (and --engine's column) start the process themselves: an import
    # that hangs there is the import's limit, not "Value(2.0) took longer"
    path = tmp_path / "hangs_import.py"
    path.write_text(HANGS_AT_IMPORT)
    found = resolve(str(path))
    with EngineProcess(found.spec, import_timeout=0.5) as process:
        with pytest.raises(InputError, match=r"importing hangs_import.py:Value took "
                                             r"longer than the 0.5 s import limit"):
            check_shape(found, 5, process)


def test_import_limit_is_in_the_help():
    from helpers import run_cli

    text = " ".join(run_cli("check", "--help").stdout.split())
    assert "--import-timeout SECONDS time allowed for importing" in text
    assert "(default 60; 0 for no limit)" in text
