import functools
import html
import re
from fractions import Fraction
from pathlib import Path

import pytest
from helpers import run_cli
from report_helpers import BAD_LINE, GOOD_LINES, INJECTION, small_report

from diffcompare.cli import main
from diffcompare.language.corpus import KINKED, LECTURE, MLP_LOSS, NASTY, REPORT
from diffcompare.language.corpus_file import Entry, parse_corpus, read
from diffcompare.language.errors import InputError
from diffcompare.language.parse import parse
from diffcompare.report import cases as report
from diffcompare.report import command as report_command
from diffcompare.report import studies as report_studies


def report_files(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


# ---- the command, end to end ----


def test_report_same_corpus_gives_same_bytes_twice():
    made = small_report()
    first, second = report_files(made.first), report_files(made.second)
    assert set(first) >= {"index.html", "README.md", "figures/accuracy.svg",
                          "figures/cost-scaling.svg", "figures/swell.svg",
                          "figures/01-steps.svg", "figures/01-graph.svg"}
    assert first == second


def test_report_bad_line_is_named_and_the_others_still_report():
    made = small_report()
    assert made.run.returncode == 2
    errors = made.run.stderr.strip().splitlines()
    assert len(errors) == 1 and f"corpus.txt line {BAD_LINE}:" in errors[0]
    assert "Traceback" not in made.run.stderr
    page = (made.first / "index.html").read_text()
    assert page.count('<section class="case"') == GOOD_LINES
    assert "Lines not reported" in page and f"corpus.txt line {BAD_LINE}" in page
    assert f"({GOOD_LINES} expressions; 1 corpus line(s) refused" in made.run.stdout


def test_report_html_injection_is_shown_as_text():
    page = (small_report().first / "index.html").read_text()
    assert "<script" not in page and "<img src=x" not in page
    assert "<b>" not in page and "<i>" not in page
    assert html.escape(INJECTION) in page  # the title, from the comment above its line
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page  # the comment in the expression
    assert "&lt;i&gt;not an expression&lt;/i&gt;" in page  # the refused line


def test_report_html_injection_is_escaped_in_svg_and_markdown():
    made = small_report()
    plot = (made.first / "figures" / "accuracy.svg").read_text()  # titles label its rows
    assert "&lt;script&gt;alert(1)" in plot and "<script" not in plot
    markdown = (made.first / "README.md").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markdown
    outside_code = re.sub(r"```.*?```", "", markdown, flags=re.S)
    assert "<script" not in outside_code and "<img" not in outside_code


def test_report_page_is_self_contained():
    page = (small_report().first / "index.html").read_text()
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    links = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert links and all(link.startswith(("data:", "#")) for link in links), links
    assert "<math" in page and "<mfrac>" in page  # formulas in MathML, no script
    assert 'src="data:image/svg+xml;base64,' in page


def test_report_page_holds_every_part_of_a_case():
    page = (small_report().first / "index.html").read_text()
    for text in ("The lecture&#x27;s quadratic", "Error against step", "Computation graph",
                 "Cost", "symbolic (exact)", "finite difference", "best step",
                 "Accuracy across the corpus", "Cost scaling", "Expression swell",
                 "capped at"):
        assert text in page, text


def test_report_markdown_links_figures_that_exist():
    folder = small_report().first
    markdown = (folder / "README.md").read_text()
    linked = re.findall(r"\]\((figures/[^)]+)\)", markdown)
    assert len(linked) >= 5
    assert all((folder / name).is_file() for name in linked)
    assert "$$" in markdown and r"\frac{\partial f}" in markdown


def test_report_without_point_chooses_one():
    page = (small_report().first / "index.html").read_text()
    assert "(chosen)" in page


def test_report_every_line_bad_writes_nothing(tmp_path):
    corpus = tmp_path / "bad.txt"
    corpus.write_text("# only bad lines\nfoo(x)\nx + @ x=1\n")
    done = run_cli("report", "--corpus", str(corpus), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert "bad.txt line 2:" in lines[0] and "bad.txt line 3:" in lines[1]
    assert "nothing to report" in lines[-1] and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args, message", [
    (["--corpus", "no/such/file.txt"], "does not exist"),
    (["--max-n", "0"], "--max-n"),
    (["--time-cap", "-1"], "--time-cap"),
    (["--bogus"], "unrecognized arguments"),
])
def test_report_bad_options_are_one_line_and_exit_2(args, message, capsys, tmp_path):
    assert main(["report", "--out", str(tmp_path / "out"), *args]) == 2
    captured = capsys.readouterr()
    assert len(captured.err.strip().splitlines()) == 1 and message in captured.err
    assert not (tmp_path / "out").exists()


def test_report_out_that_is_a_file_is_refused(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("mine")
    corpus = tmp_path / "c.txt"
    corpus.write_text("x**2 @ x=1\n")
    assert main(["report", "--corpus", str(corpus), "--out", str(target), "--max-n", "1"]) == 2
    assert "is a file" in capsys.readouterr().err
    assert target.read_text() == "mine"


def test_report_help_names_the_extra():
    done = run_cli("report", "--help")
    assert done.returncode == 0
    assert "diffcompare[report]" in done.stdout and "--timings" in done.stdout


# ---- atomic writing ----


@functools.lru_cache(maxsize=None)
def tiny_report(timings: bool = False) -> report.Report:
    entries = [Entry(LECTURE[0], "built-in")]
    return report.build(entries, sizes=(1, 2), depths=(1, 2), timings=timings)


def test_report_failed_run_leaves_previous_report_intact(tmp_path, monkeypatch):
    from diffcompare.report import html as report_html

    built = tiny_report()
    report_command.write(built, tmp_path)
    before = report_files(tmp_path)

    def broken(*args):
        raise RuntimeError("rendering failed")

    monkeypatch.setattr(report_html, "render", broken)
    with pytest.raises(RuntimeError):
        report_command.write(built, tmp_path)
    assert report_files(tmp_path) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_report_write_keeps_other_files_and_replaces_old_figures(tmp_path):
    (tmp_path / "screenshot.png").write_bytes(b"png")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "99-steps.svg").write_text("<svg/>")
    report_command.write(tiny_report(), tmp_path)
    assert (tmp_path / "screenshot.png").read_bytes() == b"png"
    assert not (tmp_path / "figures" / "99-steps.svg").exists()
    assert (tmp_path / "figures" / "01-steps.svg").is_file()


def test_report_refuses_a_figures_folder_that_is_not_its_own(tmp_path):
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "holiday.jpg").write_bytes(b"jpg")
    with pytest.raises(InputError, match="not a report's figures"):
        report_command.write(tiny_report(), tmp_path)
    assert (tmp_path / "figures" / "holiday.jpg").exists()


def test_report_timings_add_seconds_and_say_so():
    built = tiny_report(timings=True)
    files = report_command.render(built)
    page = files["index.html"].decode()
    assert built.timed_scaling is not None and "figures/cost-scaling-seconds.svg" in files
    assert " ms" in page and "not reproducible" in page


# ---- the corpus file ----


def test_corpus_file_comments_titles_blank_lines_and_points():
    text = "# a title\nx**2 @ x=3\n\n# section\n\nsin(x)\nc = a*b; c + a @ a=2, b=-1\n"
    entries, problems = parse_corpus(text, "c.txt")
    assert problems == []
    assert [(e.case.name, e.case.expression, e.case.at, e.origin) for e in entries] == [
        ("a title", "x**2", "x=3", "c.txt line 2"),
        ("sin(x)", "sin(x)", "", "c.txt line 6"),
        ("c = a*b; c + a", "c = a*b; c + a", "a=2, b=-1", "c.txt line 7"),
    ]


@pytest.mark.parametrize("line, message", [
    ("x**2 @ y=1", "the point names y"),
    ("x**2 @", "no point after '@'"),
    ("@ x=1", "no expression before '@'"),
    ("__import__('os') @ x=1", "unknown function '__import__'"),
    ("x**2 @ x=abc", "x=abc is not a number"),
])
def test_corpus_file_bad_line_names_its_number(line, message):
    entries, problems = parse_corpus(f"x @ x=1\n{line}\nx**3 @ x=2\n", "c.txt")
    assert len(entries) == 2 and len(problems) == 1
    assert problems[0].line == 2 and problems[0].message.startswith("c.txt line 2: ")
    assert message in problems[0].message and "\n" not in problems[0].message


def test_corpus_file_unreadable_is_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read(tmp_path / "missing.txt")
    with pytest.raises(InputError, match="is a directory"):
        read(tmp_path)
    (tmp_path / "latin1.txt").write_bytes(b"x\xe9\n")
    with pytest.raises(InputError, match="not UTF-8"):
        read(tmp_path / "latin1.txt")


# ---- the built-in corpus ----


def test_report_builtin_corpus_has_the_lecture_and_hard_cases():
    expressions = [case.expression for case in REPORT]
    assert "3*x**2 - 4*x + 5" in expressions and MLP_LOSS in expressions
    assert len(LECTURE) == 4 and set(LECTURE + NASTY + KINKED) <= set(REPORT)
    names = {case.name for case in REPORT}
    assert {"micrograd README", "tanh neuron", "MLP loss"} <= names
    assert len(NASTY) >= 3 and len(KINKED) >= 2


def test_report_mlp_loss_is_smooth_and_agrees():
    case = next(case for case in LECTURE if case.name == "MLP loss")
    result = report.build_case(1, Entry(case, "built-in"))
    assert result.comparison.agree
    assert len(result.comparison.expression.variables) == 7


# ---- counted work ----


def test_count_operations_counts_each_shared_node_once():
    assert report_studies.count_operations(parse("u = sin(x)*y; u*u + u/y")) == 5


def test_counted_work_finite_differences_grow_and_autograd_stays_close():
    scaling = report_studies.counted_scaling(sizes=(1, 10, 50), cap=10**9)
    ops = scaling.evaluation
    for i, n in enumerate(scaling.sizes):
        assert scaling.costs["finite_difference"][i] == (4 * n + 1) * ops[i]
        assert scaling.costs["autograd"][i] <= 3 * ops[i]
        assert scaling.costs["symbolic"][i] >= n * ops[i]


def test_counted_work_over_the_cap_is_not_run():
    scaling = report_studies.counted_scaling(sizes=(1, 20, 50), cap=5_000)
    assert scaling.costs["finite_difference"][2] is None  # 201 evaluations of 394 ops
    assert scaling.costs["symbolic"][2] is None
    assert scaling.costs["autograd"][2] is not None
    assert scaling.capped_from("finite_difference") <= 50


def test_timed_scaling_stops_a_method_at_the_cap_and_after():
    scaling = report_studies.timed_scaling(sizes=(1, 2, 200), cap=0.05)
    assert scaling.unit == "seconds"
    assert scaling.costs["symbolic"][2] is None  # sympy needs seconds for n = 200
    for costs in scaling.costs.values():
        capped = [c is None for c in costs]
        assert capped == sorted(capped)  # once capped, never run again
    assert all(c is not None and c <= 0.05 for c in scaling.costs["autograd"][:2])


def test_rosenbrock_gradient_matches_the_formula():
    from diffcompare.methods import autograd

    expression = report_studies.rosenbrock(3)
    point = {"x1": Fraction(1, 2), "x2": Fraction(-1, 3), "x3": Fraction(2)}
    gradient = autograd.differentiate(expression, point).gradient
    x1, x2, x3 = 0.5, -1 / 3, 2.0
    assert gradient["x1"] == pytest.approx(-2 * (1 - x1) - 400 * x1 * (x2 - x1**2))
    assert gradient["x2"] == pytest.approx(-2 * (1 - x2) + 200 * (x2 - x1**2)
                                           - 400 * x2 * (x3 - x2**2))
    assert gradient["x3"] == pytest.approx(-2 * (1 - x3) + 200 * (x3 - x2**2))


def test_swell_symbolic_outgrows_the_graph_and_cse_helps():
    swell = report_studies.swell(depths=(2, 6))
    nested = swell.families["y = y·sin(y), repeated"]
    assert nested[1].symbolic > 10 * nested[1].graph_nodes
    assert nested[1].symbolic_cse < nested[1].symbolic / 5
    for points in swell.families.values():
        assert points[1].graph_nodes > points[0].graph_nodes


def test_report_never_replaces_pages_it_did_not_make(tmp_path):
    (tmp_path / "README.md").write_text("# My project\n")
    with pytest.raises(InputError, match="was not made by diffcompare report"):
        report_command.write(tiny_report(), tmp_path)
    assert (tmp_path / "README.md").read_text() == "# My project\n"
    assert not (tmp_path / "index.html").exists()


def test_report_replaces_its_own_pages(tmp_path):
    report_command.write(tiny_report(), tmp_path)
    (tmp_path / "index.html").write_text((tmp_path / "index.html").read_text() + "edited")
    report_command.write(tiny_report(), tmp_path)
    assert not (tmp_path / "index.html").read_text().endswith("edited")


# ---- beyond the gradient: digits by order, Jacobian cost ----

def test_report_beyond_the_gradient_section_shows_both_orders_and_the_crossing():
    folder = small_report().first
    markdown = (folder / "README.md").read_text()
    assert "## 4. Beyond the gradient" in markdown
    assert "3-point second difference" in markdown and "The crossing for n = 10" in markdown
    assert "Beyond the gradient" in (folder / "index.html").read_text()


def test_report_jacobian_work_forward_wins_tall_and_reverse_wins_wide():
    from diffcompare.report.orders import jacobian_work

    tall, wide = jacobian_work("tall", 4, 200), jacobian_work("wide", 200, 4)
    assert tall.forward < tall.reverse and wide.reverse < wide.forward


def test_report_refused_lines_show_their_title_comment():
    from types import SimpleNamespace

    from diffcompare.language.corpus_file import parse_corpus
    from diffcompare.report import html, markdown

    _, problems = parse_corpus("# Ada Lovelace\nx**\n", "class.txt")
    report = SimpleNamespace(problems=tuple(problems))
    assert "<b>Ada Lovelace</b>: <code>x**</code>" in html._problems(report)
    assert any(line.startswith("- **Ada Lovelace**: ") for line in markdown._problems(report))


def test_report_accuracy_rows_carry_the_case_number_of_the_page():
    from types import SimpleNamespace

    from diffcompare.language.corpus_file import parse_corpus
    from diffcompare.report.cases import accuracy, build_case

    # sqrt(x) at 0 has no exact derivative, so the accuracy chart has no row for case 1.
    entries, _ = parse_corpus("sqrt(x) @ x=0\nx**2 @ x=3\n")
    cases = [build_case(number, entry) for number, entry in enumerate(entries, start=1)]
    _, rows = accuracy(SimpleNamespace(cases=cases))
    assert [row.number for row in rows] == [2]


@pytest.mark.parametrize("line", ["sin(x)*exp(x) @ x=1.3", "x**2*sin(y) @ x=1,y=2",
                                  "x*y*tanh(z) @ x=1,y=2,z=0.5"])
def test_report_sweep_legend_fits_inside_its_figure(line):
    from diffcompare.language.corpus_file import parse_corpus
    from diffcompare.report.cases import build_case
    from diffcompare.report.plots import sweep_matplotlib_figure

    entries, _ = parse_corpus(line + "\n")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = sweep_matplotlib_figure(build_case(1, entries[0]))
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    legend = figure.legends[0].get_window_extent(renderer)
    page = figure.bbox
    assert page.x0 <= legend.x0 and legend.x1 <= page.x1, (legend, page)
