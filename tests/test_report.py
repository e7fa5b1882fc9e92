import functools
import html
import os
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
    """The files of the current report in ``folder``, by path in the report."""
    current = (folder / ".diffcompare-report" / "current").resolve()
    return {str(path.relative_to(current)): path.read_bytes()
            for path in sorted(current.rglob("*")) if path.is_file()}


def snapshot(folder: Path) -> dict[str, object]:
    """Everything under ``folder``: file bytes, a link's target, folders; no link followed."""
    seen: dict[str, object] = {}
    for root, folders, files in os.walk(folder):
        for name in folders + files:
            path = Path(root) / name
            key = str(path.relative_to(folder))
            if path.is_symlink():
                seen[key] = ("link", os.readlink(path))
            elif path.is_dir():
                seen[key] = "folder"
            else:
                seen[key] = path.read_bytes()
    return seen


# ---- the command, end to end ----


def test_report_same_corpus_gives_same_bytes_twice():
    made = small_report()
    first = report_files(made.first)
    assert set(first) >= {"index.html", "README.md", "MANIFEST", "figures/accuracy.svg",
                          "figures/cost-scaling.svg", "figures/swell.svg",
                          "figures/01-steps.svg", "figures/01-graph.svg"}
    assert snapshot(made.first) == snapshot(made.second)  # version names and links too


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
    plot = report_files(made.first)["figures/accuracy.svg"].decode()  # titles label its rows
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
    linked = re.findall(r"\]\(([^)]*figures/[^)]+)\)", markdown)
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
    before = snapshot(tmp_path)

    def broken(*args, **kwargs):
        raise RuntimeError("rendering failed")

    monkeypatch.setattr(report_html, "render", broken)
    with pytest.raises(RuntimeError):
        report_command.write(built, tmp_path)
    assert snapshot(tmp_path) == before


def test_report_users_own_figures_survive(tmp_path):
    (tmp_path / "screenshot.png").write_bytes(b"png")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "diagram.svg").write_text("<svg>mine</svg>")
    (tmp_path / "figures" / "01-steps.svg").write_text("<svg>also mine</svg>")
    said = []
    report_command.write(tiny_report(), tmp_path, say=said.append)
    report_command.write(tiny_report(timings=True), tmp_path, say=said.append)
    assert (tmp_path / "screenshot.png").read_bytes() == b"png"
    assert (tmp_path / "figures" / "diagram.svg").read_text() == "<svg>mine</svg>"
    assert (tmp_path / "figures" / "01-steps.svg").read_text() == "<svg>also mine</svg>"
    assert "01-steps.svg" in report_files(tmp_path)["README.md"].decode()
    assert len(said) == 2 and "nothing else there is touched" in said[0]  # the first run only
    assert "figures" in said[1]


def test_report_replaces_its_previous_version_whole(tmp_path):
    report_command.write(tiny_report(), tmp_path)
    report_command.write(tiny_report(timings=True), tmp_path)
    home = tmp_path / ".diffcompare-report"
    assert sorted(p.name for p in home.iterdir() if p.name.startswith("v-")) == [
        os.readlink(home / "current")]
    assert " ms" in (tmp_path / "index.html").read_text()


def test_report_never_deletes_a_file_it_did_not_write_in_its_own_folder(tmp_path):
    report_command.write(tiny_report(), tmp_path)
    version = (tmp_path / ".diffcompare-report" / "current").resolve()
    (version / "figures" / "notes.txt").write_text("mine")
    said = []
    report_command.write(tiny_report(timings=True), tmp_path, say=said.append)
    assert (version / "figures" / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in version.rglob("*")) == ["figures", "notes.txt"]
    assert any("notes.txt" in line or "did not write" in line for line in said)


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


# ---- pages: at most 50 cases on each ----


def test_report_past_50_cases_has_an_index_and_pages_that_link_up(tmp_path):
    from dataclasses import replace

    one = tiny_report()
    cases = tuple(replace(one.cases[0], number=k) for k in range(1, 52))
    built = replace(one, cases=cases)
    report_command.write(built, tmp_path)
    files = report_files(tmp_path)
    assert sorted(name for name in files if name.startswith("pages/")) == [
        "pages/cases-001.html", "pages/cases-001.md", "pages/cases-002.html",
        "pages/cases-002.md"]
    first, second = (files[f"pages/cases-00{k}.html"].decode() for k in (1, 2))
    assert first.count('<section class="case"') == 50 and second.count('<section class="case"') == 1
    index = (tmp_path / "index.html").read_text()
    assert '<section class="case"' not in index
    links = re.findall(r'href="([^"#]+)#case-(\d+)"', index)
    assert len(links) == 51 and links[-1] == (".diffcompare-report/current/pages/cases-002.html", "51")
    assert all((tmp_path / page).is_file() for page, _ in links)  # opened from OUT
    pages = tmp_path / ".diffcompare-report" / "current" / "pages"
    back = re.findall(r'href="([^"]+)">back to the overview', second)
    assert back and (pages / back[0]).resolve() == (tmp_path / "index.html").resolve()
    markdown = (tmp_path / "README.md").read_text()
    for link in set(re.findall(r"\]\(([^)#]+\.md)\)", markdown)):
        assert (tmp_path / link).is_file(), link


def test_report_without_studies_says_how_to_add_them():
    built = report.build([Entry(LECTURE[0], "built-in")], studies=False)
    assert built.scaling is None and built.swell is None and built.orders is None
    files = report_command.render(built)
    assert "--studies" in files["index.html"].decode() and "--studies" in files["README.md"].decode()
    assert "figures/swell.svg" not in files and "figures/cost-scaling.svg" not in files
    assert 'href="#orders"' not in files["index.html"].decode()  # no link to what is not there


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
def test_report_step_plot_legend_fits_inside_its_figure(line):
    # The step plot is hand-written SVG (report/steps.py): each legend label, measured in
    # the font the SVG names, ends before the next entry of its row and inside the figure.
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    from diffcompare.language.corpus_file import parse_corpus
    from diffcompare.report.cases import build_case

    entries, _ = parse_corpus(line + "\n")
    picture = build_case(1, entries[0]).steps
    width = float(re.search(r'<svg[^>]* width="([\d.]+)"', picture).group(1))
    legend = picture[picture.index('<g transform="translate(0,'):]
    labels = [(float(x), float(y), text) for x, y, text in
              re.findall(r'<text x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]+)</text>', legend)]
    font = FontProperties(family="DejaVu Sans", size=10)
    assert len(labels) >= 5
    for x, y, text in labels:
        end = x + TextPath((0, 0), text, prop=font).get_extents().width
        following = [other for other, row, _ in labels if row == y and other > x]
        assert end <= (min(following) - 28 if following else width), (text, end, width)


def test_report_markdown_tables_have_one_alignment_cell_per_column():
    # Regression: "At a glance" had 7 headers over a 6-cell alignment row once forward
    # mode became a column, so GitHub did not render it as a table.
    from diffcompare.report import markdown as report_markdown

    page = report_markdown.render(tiny_report(), {}, "figures")
    lines = page.splitlines()
    for number, line in enumerate(lines[1:], start=1):
        if set(line.replace("|", "").split()) <= {"---", "---:"} and line.startswith("| -"):
            assert line.count("|") == lines[number - 1].count("|"), lines[number - 1]
