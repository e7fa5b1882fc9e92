"""diffcompare grade: one verdict per answer, every verdict of a 30-row class file, the
same output with --jobs 2 and on a Dask cluster, resuming after an interrupt, bad rows."""

import importlib
import importlib.util
import json

import pytest
from helpers import ROOT, run_cli

from diffcompare.cli import main
from diffcompare.grade import Answer, judge
from diffcompare.grade import command as grade_command

CLASS = ROOT / "tests" / "data" / "class.csv"
# The module, not the function that diffcompare.grade exports under the same name.
judge_module = importlib.import_module("diffcompare.grade.judge")

# student -> (verdict, where): every row of tests/data/class.csv.
EXPECTED = {
    **{f"s{n:02}": ("right", "") for n in range(1, 13)},
    "s13": ("wrong", "x = 3"), "s14": ("wrong", None), "s15": ("wrong", "x = 1.3"),
    "s16": ("wrong", "x = 1, y = 2"), "s17": ("wrong", "x = 0.5"), "s18": ("wrong", "x = 2"),
    "s19": ("wrong", "x = 2"), "s20": ("wrong", "x = 0"),
    "s21": ("right_except", "x = 0"), "s22": ("right_except", "x = 0"),
    "s23": ("right_except", "x = 0, y = 1"), "s24": ("right_except", "x = 0"),
    **{f"s{n}": ("unreadable", "") for n in range(25, 31)},
}


def _grade(tmp_path, *options, name="out"):
    out = tmp_path / name
    status = main(["grade", str(CLASS), "--out", str(out), *options])
    return status, out


def _records(out):
    return json.loads((out / "grades.json").read_text())["grades"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class file graded once, in this process (--jobs 1)."""
    out = tmp_path_factory.mktemp("grades") / "one"
    assert main(["grade", str(CLASS), "--out", str(out)]) == 0
    return out


def test_grade_every_verdict_of_the_class_file(graded):
    records = _records(graded)
    assert [r["row"] for r in records] == list(range(2, 32))
    for record in records:
        verdict, where = EXPECTED[record["student"]]
        assert record["verdict"] == verdict, record
        if where is not None:
            assert record["where"] == where, record
    by_student = {r["student"]: r for r in records}
    assert by_student["s13"]["detail"] == ("df/dx: the answer gives 18 where the derivative "
                                           "is 14 (off by 4)")
    assert by_student["s14"]["where"] != "x = 1"  # right at the given point, wrong elsewhere
    assert "no number from the answer" in by_student["s21"]["detail"]
    assert "syntax error" in by_student["s25"]["detail"]
    assert "attribute access" in by_student["s30"]["detail"]  # never evaluated
    assert "d/dx, d/dy" in by_student["s29"]["detail"]


def test_grade_writes_csv_json_and_an_html_summary(graded):
    document = json.loads((graded / "grades.json").read_text())
    assert document["schema_version"] == 1
    assert document["counts"] == {"right": 12, "right_except": 4, "wrong": 8, "unreadable": 6,
                                  "not_judged": 0}
    csv_lines = (graded / "grades.csv").read_text().splitlines()
    assert csv_lines[0] == "row,student,verdict,where,detail,checked,symbolic,fingerprint"
    assert len(csv_lines) == 31
    page = (graded / "grades.html").read_text()
    assert ("12 right, 4 right except at some points, 8 wrong, 6 cannot be read, "
            "0 not judged") in page
    assert "overflow-x:auto" in page


def test_grade_bad_rows_are_reported_with_row_number_and_student(capsys, tmp_path):
    lines = CLASS.read_text().splitlines()
    answers = tmp_path / "bad.csv"
    answers.write_text("\n".join([lines[0], lines[1], lines[25], '"unclosed,x', lines[2]]) + "\n")
    status = main(["grade", str(answers), "--out", str(tmp_path / "g")])
    assert status == 0
    err = capsys.readouterr().err
    assert "row 3 (student s25): cannot be read: df/dx cannot be read" in err
    assert [r["verdict"] for r in _records(tmp_path / "g")] == ["right", "unreadable",
                                                                 "unreadable"]


def test_grade_jobs_2_gives_the_same_files_as_jobs_1(graded, tmp_path):
    status, out = _grade(tmp_path, "--jobs", "2")
    assert status == 0
    for name in ("grades.csv", "grades.json", "grades.html"):
        assert (out / name).read_bytes() == (graded / name).read_bytes(), name


def test_grade_resumes_after_an_interrupt(graded, tmp_path, monkeypatch, capsys):
    real = grade_command.grade_row
    calls = []

    def interrupted(row, *options):
        calls.append(row.number)
        if len(calls) == 10:
            raise KeyboardInterrupt
        return real(row, *options)

    monkeypatch.setattr(grade_command, "grade_row", interrupted)
    status, out = _grade(tmp_path)
    assert status == 130
    table = out / "grades.csv"
    assert len(table.read_text().splitlines()) == 1 + 9
    with open(table, "a") as sink:
        sink.write("11,s10,ri")  # a line cut short by the interrupt
    monkeypatch.setattr(grade_command, "grade_row", real)
    capsys.readouterr()
    status, out = _grade(tmp_path)
    assert status == 0
    assert "graded 21 answers, 9 already graded" in capsys.readouterr().out
    for name in ("grades.csv", "grades.json", "grades.html"):
        assert (out / name).read_bytes() == (graded / name).read_bytes(), name


HW1 = "student,function,at,derivative\nada,x**2,x=1,2*x\nbob,x**3,x=1,3*x**2\n"
HW3 = "student,function,at,derivative\nada,sin(x),x=1,sin(x)\nbob,exp(x),x=1,2*exp(x)\n"


def _grade_text(tmp_path, text, *options, name="hw.csv"):
    answers = tmp_path / name
    answers.write_text(text)
    assert main(["grade", str(answers), "--out", str(tmp_path / "g"), *options]) == 0
    return [(r["student"], r["verdict"]) for r in _records(tmp_path / "g")]


def test_grade_resume_regrades_another_answers_file_in_the_same_folder(tmp_path, capsys):
    # Regression: hw3 graded into hw1's folder (same students, same order) resumed
    # hw1's verdicts: "graded 0 answers, 2 already graded: 2 right".
    assert _grade_text(tmp_path, HW1, name="hw1.csv") == [("ada", "right"), ("bob", "right")]
    capsys.readouterr()
    assert _grade_text(tmp_path, HW3, name="hw3.csv") == [("ada", "wrong"), ("bob", "wrong")]
    assert capsys.readouterr().out.startswith(
        "graded 2 answers, 2 earlier grades of changed or removed rows dropped: 0 right")
    assert "ada,right" not in (tmp_path / "g" / "grades.csv").read_text()


def test_grade_resume_regrades_only_the_changed_row(tmp_path, capsys, monkeypatch):
    # Regression: editing one student's answer kept the old verdict.
    _grade_text(tmp_path, HW1)
    real, calls = grade_command.grade_row, []

    def counting(row, *options):
        calls.append(row.answer.student)
        return real(row, *options)

    monkeypatch.setattr(grade_command, "grade_row", counting)
    capsys.readouterr()
    edited = HW1.replace("3*x**2\n", "3*x\n")
    assert _grade_text(tmp_path, edited) == [("ada", "right"), ("bob", "wrong")]
    assert calls == ["bob"]
    assert "graded 1 answer, 1 already graded, 1 earlier grade" in capsys.readouterr().out
    # A moved row is the same row: its grade is kept, under its new row number.
    swapped = "student,function,at,derivative\nbob,x**3,x=1,3*x\nada,x**2,x=1,2*x\n"
    assert _grade_text(tmp_path, swapped) == [("bob", "wrong"), ("ada", "right")]
    assert calls == ["bob"]
    # An option that changes verdicts changes every fingerprint.
    _grade_text(tmp_path, swapped, "--samples", "3")
    assert calls == ["bob", "bob", "ada"]


def test_grade_reads_answers_from_standard_input_as_json_lines(tmp_path):
    lines = [json.dumps({"student": "ada", "function": "x**2*sin(y)", "at": ["x=1,y=2"],
                         "derivative": {"x": "2*x*sin(y)", "y": "x**2*cos(y)"}}),
             "{not json",
             json.dumps({"student": "bob", "function": "x**3", "at": "x=2",
                         "derivative": "3*x"})]
    done = run_cli("grade", "-", "--out", str(tmp_path / "g"), input="\n".join(lines) + "\n")
    assert done.returncode == 0, done.stderr
    records = _records(tmp_path / "g")
    assert [(r["row"], r["student"], r["verdict"]) for r in records] == [
        (1, "ada", "right"), (2, "", "unreadable"), (3, "bob", "wrong")]
    assert "row 2 (no student id): cannot be read: not JSON" in done.stderr


def test_grade_refuses_a_file_without_the_columns_in_one_line(tmp_path, capsys):
    answers = tmp_path / "a.csv"
    answers.write_text("name,formula\nada,x\n")
    assert main(["grade", str(answers), "--out", str(tmp_path / "g")]) == 2
    assert main(["grade", str(tmp_path / "nope.csv")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "no student column" in err[0] and "cannot read" in err[1]


@pytest.mark.parametrize("text", [
    "student,function,at,derivative\nada,x**3,x=2,3*x**2\n",
    json.dumps({"student": "ada", "function": "x**3", "at": "x=2", "derivative": "3*x**2"}),
])
def test_grade_accepts_a_leading_byte_order_mark(text, tmp_path):
    # Regression: Excel's "CSV UTF-8" starts with U+FEFF, which hid the student column.
    answers = tmp_path / "answers.txt"
    answers.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert main(["grade", str(answers), "--out", str(tmp_path / "g")]) == 0
    assert [r["verdict"] for r in _records(tmp_path / "g")] == ["right"]


def test_judge_a_wrong_answer_right_at_the_only_point_is_wrong_when_sympy_proves_it():
    # Regression: with --samples 0, 3*x for x**3 at x = 1 was "right" (equal at the one
    # point) although sympy had shown the difference is not 0.
    grade = judge(Answer("ann", "x**3", ("x=1",), {"": "3*x"}), samples=0)
    assert (grade.verdict, grade.symbolic, grade.checked) == ("wrong", "different", 1)
    assert grade.detail == ("sympy shows answer - df/dx = 3*x*(1 - x), not 0, though the "
                            "numbers agree at the 1 point checked")
    assert judge(Answer("ann", "exp(x)", ("x=1",), {"": "2*exp(x)"}), samples=0).symbolic \
        == "different"  # exp(x) is never 0: sympy's assumptions decide


def test_judge_undecided_on_too_few_points_is_not_judged_not_right():
    # sympy cannot simplify x/abs(x) - sign(x); one agreeing point proves nothing.
    answer = Answer("cat", "abs(x)", ("x=1",), {"": "x/abs(x)"})
    grade = judge(answer, samples=0)
    assert (grade.verdict, grade.symbolic) == ("not_judged", "undecided")
    assert "checked at only 1 point (at least 3 needed); raise --samples" in grade.detail
    assert judge(answer).verdict == "right"  # the default 5 random points decide
    assert judge(Answer("ann", "x**3", ("x=1",), {"": "3*x**2"}), samples=0).verdict \
        == "right"  # sympy proved it equal: one point is enough


def test_grade_a_timeout_is_not_judged_and_counted_apart(tmp_path, capsys, monkeypatch):
    # Regression: a correct answer too slow to check was "cannot be read".
    def slow(*arguments):
        raise judge_module._OutOfTime

    monkeypatch.setattr(judge_module, "judge", slow)
    answers = tmp_path / "a.csv"
    answers.write_text("student,function,at,derivative\nada,exp(exp(x)),x=1,"
                       "exp(exp(x))*exp(x)\nbob,x,x=1,1,5\n")
    assert main(["grade", str(answers), "--out", str(tmp_path / "g")]) == 0
    out, err = capsys.readouterr()
    assert "row 2 (student ada): not judged: timed out after 10 s; raise --timeout" in err
    assert "row 3 (student bob): cannot be read: 5 fields where the header has 4" in err
    assert "graded 2 answers: 0 right, 0 right except at some points, 0 wrong, " \
           "1 cannot be read, 1 not judged" in out
    document = json.loads((tmp_path / "g" / "grades.json").read_text())
    assert document["counts"]["not_judged"] == 1 and document["counts"]["unreadable"] == 1
    assert "2,ada,not_judged,,timed out after 10 s; raise --timeout" in \
        (tmp_path / "g" / "grades.csv").read_text()
    assert "1 not judged" in (tmp_path / "g" / "grades.html").read_text()


def test_grade_counts_in_the_right_number(tmp_path, capsys):
    # Regression: "graded 1 answers", "1 fields where the header has 4".
    answers = tmp_path / "a.csv"
    answers.write_text("student,function,at,derivative\nada\n")
    assert main(["grade", str(answers), "--out", str(tmp_path / "g")]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("graded 1 answer: ")
    assert "row 2 (student ada): cannot be read: 1 field where the header has 4\n" in err
    assert "<p>1 answer: " in (tmp_path / "g" / "grades.html").read_text()


def test_judge_is_seeded_and_deterministic():
    answer = Answer("zoe", "x**2", ("x=1",), {"": "2"})
    assert judge(answer) == judge(answer)
    assert judge(answer, seed=1).where != judge(answer, seed=2).where


@pytest.fixture
def dask_scheduler():
    """A LocalCluster on loopback, shut down after the test."""
    distributed = pytest.importorskip(
        "distributed", reason="Dask distributed is not installed (pip install -e '.[test]')")
    # Worker threads in this process (processes=False): the scheduler still listens on
    # TCP on loopback, as a real one would, and the cluster starts in about a second.
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                       host="127.0.0.1", dashboard_address=None,
                                       protocol="tcp://")
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def test_grade_on_a_dask_cluster_gives_the_same_files(graded, tmp_path, dask_scheduler):
    assert dask_scheduler.startswith("tcp://127.0.0.1:")
    status, out = _grade(tmp_path, "--executor", dask_scheduler)
    assert status == 0
    for name in ("grades.csv", "grades.json", "grades.html"):
        assert (out / name).read_bytes() == (graded / name).read_bytes(), name


def test_grade_executor_needs_a_reachable_scheduler(tmp_path, monkeypatch, capsys):
    if importlib.util.find_spec("distributed") is None:
        pytest.skip("Dask distributed is not installed")
    monkeypatch.setattr(grade_command, "CONNECT_TIMEOUT", "1s")
    status = main(["grade", str(CLASS), "--out", str(tmp_path / "g"), "--executor",
                   "tcp://127.0.0.1:9"])
    assert status == 2 and "cannot reach the Dask scheduler" in capsys.readouterr().err


@pytest.mark.parametrize("function", ["where(asin(2) >= cbrt(x), sinh(0.5), erf(0))",
                                      "where(x > sqrt(-1), x, 1)"])
def test_judge_a_condition_comparing_a_number_that_is_not_real_is_unreadable(function):
    # The fuzzer's internal error (exit 70): sympy's "Invalid comparison of non-real
    # asin(2)" escaped grade.
    grade = judge(Answer("ann", function, ("x=0.5",), {"": "0"}), samples=1)
    assert grade.verdict == "unreadable" and "not real" in grade.detail


def test_judge_atan2_of_a_number_that_is_not_real_at_a_point_is_no_internal_error():
    # The fuzzer's internal error: atan2's branch cut asks sympy whether acos(-2.708) < 0
    # ("Invalid comparison of non-real acos(-677/250)") while kinks were looked for.
    grade = judge(Answer("ann", "atan2(abs(700), acos(x))", ("x=-2.708",), {"": "cos(x)"}),
                  samples=2)
    assert grade.verdict in ("wrong", "unreadable", "not judged")
    assert "Invalid comparison" not in grade.detail
