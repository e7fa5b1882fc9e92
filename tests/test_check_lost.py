"""An engine that loses its process (a crash, an exit, a hang, an import that never ends):
one cause, named with how it happened; the checks it kept from running are "not run",
never failures, hangs, causes or unsupported operations; and no wait beyond the limits.
"""

import json
import textwrap
import time

import pytest
from helpers import ROOT

from diffcompare import InputError, check_engine
from diffcompare.check.battery import MAX_LOST
from diffcompare.check.command import render
from diffcompare.check.isolation import EngineProcess
from diffcompare.check.user_engine import check_shape, resolve
from diffcompare.cli import main

ENGINES = ROOT / "tests" / "engines"
HOSTILE = ENGINES / "hostile"

# hostile engine: words of its one cause (how its process ended)
ENDS_ITS_PROCESS = {
    "crashes.py": "was killed by SIGSEGV",
    "posix_exit.py": "ended with exit status 0",
    "thread_exits.py": "ended with exit status 0",
    "execs.py": "replaced itself with execv",
    "prints_100_mb.py": "printed more than 8 MiB (the output limit); last output: …xxx",
}


def _engine(tmp_path, name: str, source: str) -> str:
    """A correct lecture engine with ``source`` appended, as a spec."""
    path = tmp_path / f"{name}.py"
    path.write_text((ENGINES / "correct.py").read_text() + textwrap.dedent(source))
    return f"{path}:Value"


@pytest.mark.parametrize("name", sorted(ENDS_ITS_PROCESS))
def test_lost_process_is_one_cause_and_the_checks_left_are_not_run(name):
    # Regression: after three deaths, ~90 checks that never ran were failures, each
    # "does not finish" as a cause and diagnosed as a hang, and with them the
    # unsupported operations were counted as 0 while 23 were listed.
    report = check_engine(str(HOSTILE / name), timeout=2)
    assert not report.ok
    assert len(report.causes) == 1 and ENDS_ITS_PROCESS[name] in report.causes[0]
    failed = [r for r in report.results if r.status == "fail"]
    assert len(failed) == MAX_LOST
    assert all(r.cause == report.causes[0] for r in failed)
    not_run = [r for r in report.results if r.status == "not_run"]
    assert not_run and all(not r.diagnosis and not r.cause for r in not_run)
    assert all(r.failure.kind == "not run" for r in not_run)
    assert not any("does not finish" in cause for cause in report.causes)
    # the operations the class lacks stay unsupported, and are counted so
    unsupported = report.counts["unsupported"]
    assert unsupported == sum(r.status == "unsupported" for r in report.results) > 0
    assert report.unsupported


def test_lost_process_in_the_report_and_json(capsys):
    assert main(["check", str(HOSTILE / "crashes.py"), "--timeout", "2"]) == 1
    out = capsys.readouterr().out
    likely = out.split("likely cause:\n")[1].split("\n\n")[0]
    assert likely == "  1. the engine's process was killed by SIGSEGV"
    assert "not run (" in out and "does not finish" not in out
    assert "timed out or lost the engine's process (x + y, x - y, x * y)" in out
    summary = out.strip().splitlines()[-1]
    assert "3 failed, 47 unsupported" in summary and "not run" in summary
    assert "(0 checks need these" not in out
    assert main(["check", str(HOSTILE / "crashes.py"), "--timeout", "2", "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["causes"] == ["the engine's process was killed by SIGSEGV"]
    assert document["counts"]["fail"] == 3 and document["counts"]["not_run"] > 0
    assert {c["status"] for c in document["checks"]} == {"fail", "not_run", "unsupported"}


def test_lost_genuine_hang_in_one_operation_is_a_hang_that_costs_one_timeout(tmp_path):
    spec = _engine(tmp_path, "tanh_loops", """
        def _tanh_forever(self):
            while True:
                pass
        Value.tanh = _tanh_forever
    """)
    start = time.monotonic()
    report = check_engine(spec, timeout=0.5)
    assert report.causes == ("tanh(x) does not finish",)
    not_run = [r for r in report.results if r.status == "not_run"]
    assert not_run and all("tanh" in r.check.expression or "neuron" in r.name for r in not_run)
    assert "they need tanh(x), which does not finish alone" in not_run[0].failure.message
    # every check that does not need tanh still runs, and passes
    assert report.counts["fail"] == 0 and report.counts["pass"] > 40 and not report.ok
    assert [loss.name for loss in report.lost] == ["tanh(x)"]
    assert time.monotonic() - start < 30
    assert "1. tanh(x) does not finish" in render(report)


def test_lost_hang_in_every_backward_is_named_as_hangs(tmp_path):
    spec = _engine(tmp_path, "backward_loops", """
        def _backward_forever(self):
            while True:
                pass
        Value.backward = _backward_forever
    """)
    report = check_engine(spec, timeout=0.2)
    hung = [r for r in report.results if r.status == "fail"]
    assert [r.failure.kind for r in hung] == ["timeout"] * MAX_LOST
    assert report.causes == tuple(f"{r.name} does not finish" for r in hung)
    assert report.counts["not_run"] > 0 and not report.ok


def test_lost_while_trying_the_class_still_names_the_cause(tmp_path):
    # Every check is left unrun when the first operations lose the process while the
    # class is tried (forward only): the report still fails and says why.
    spec = _engine(tmp_path, "add_loops", """
        def _add_forever(self, other):
            while True:
                pass
        Value.__add__ = _add_forever
        Value.__radd__ = _add_forever
    """)
    report = check_engine(spec, timeout=0.2)
    assert not report.ok and report.counts["fail"] == 0
    assert report.counts["not_run"] == len(report.results) - report.counts["unsupported"]
    assert report.causes and all(c.endswith("does not finish") for c in report.causes)
    assert len(report.causes) == MAX_LOST
    text = render(report)
    assert "likely causes:" in text and "not run (" in text


def test_lost_report_with_limits_and_not_run_shows_in_a_notebook(tmp_path):
    # a notebook's HTML counted only pass, fail and unsupported: a limit was a KeyError
    limits = check_engine(str(ENGINES / "lecture.py"))
    assert limits.counts["limit"] and "FAIL" in limits._repr_html_()
    lost = check_engine(str(HOSTILE / "posix_exit.py"), timeout=2)
    assert "not run" in lost._repr_html_()


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
