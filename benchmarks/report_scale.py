"""Reports at classroom scale and the batch path (issue 12 §6-7), each target printed with
met or NOT MET from one run:

- the built-in report (``diffcompare report``) in at most 5 s wall, byte-reproducible;
- a report of 1,000 expressions in at most 2 minutes on 2 cores, with the whole process
  tree (the command and its workers, sampled from /proc) at most 300 MiB and no page
  over 5 MB;
- ``compare_many`` on 2 processes at least 1.8 times its throughput on 1, and at least 60
  short expressions a second; a loop of ``compare()`` is shown beside them;
- ``compare_many``'s memory flat over 10,000 expressions: the process tree over the last
  fifth at most 1.2 times what it was over cases 1,000-3,000.

    python benchmarks/report_scale.py [--quick]

``--quick`` scales every size down by 10 (for a smoke run; the targets are for full size).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUILTIN_SECONDS = 5.0
SCALE_EXPRESSIONS, SCALE_SECONDS, SCALE_MIB, PAGE_BYTES = 1000, 120.0, 300.0, 5_000_000
SPEEDUP, RATE = 1.8, 60.0
THROUGHPUT_EXPRESSIONS = 600
MEMORY_EXPRESSIONS, MEMORY_GROWTH = 10_000, 1.2
JOBS = 2

# Templates of a classroom's expressions: the lecture's kinds, with constants and points
# that vary from line to line.
TEMPLATES = (
    ("3*x**2 - {a}*x + {b}", "x={p}"),
    ("x**2*sin(y) + {a}*tanh(x*y)", "x={p},y={q}"),
    ("exp({c}*x)/(1 + x**2)", "x={p}"),
    ("log(1 + x**2)*cos({a}*y)", "x={p},y={q}"),
    ("sqrt(x**2 + y**2 + {a})", "x={p},y={q}"),
    ("n = x1*w1 + x2*w2 + {c}; tanh(n)", "x1={p},x2={q},w1=-{c},w2={p}"),
    ("sigmoid({c}*x - y)*y**3", "x={p},y={q}"),
    ("relu(x - {c}) + abs(y) + x*y", "x={p},y={q}"),
    ("x = 2.0; h = tanh(w*x + b); (h - {c})**2", "w={p},b=-{q}"),
    ("(x**{a} + 1)/(x + {b})", "x={p}"),
)
SHORT = ("x**2 + {a}*x", "x={p}")


def corpus_lines(count: int) -> list[str]:
    lines = []
    for k in range(count):
        expression, point = TEMPLATES[k % len(TEMPLATES)]
        values = {"a": k % 7 + 2, "b": k % 5 + 1, "c": f"0.{k % 9 + 1}",
                  "p": f"{k % 13 / 10 + 0.3:g}", "q": f"{k % 11 / 10 + 0.2:g}"}
        lines += [f"# case {k + 1}", f"{expression.format(**values)} @ {point.format(**values)}"]
    return lines


def verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


class TreeMemory:
    """Peak memory (PSS) of a process and all its descendants, sampled from /proc."""

    def __init__(self, pid: int, every: float = 0.1):
        self.pid, self.every, self.peak = pid, every, 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self):
        while not self.done.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            self.done.wait(self.every)

    def stop(self) -> float:
        self.done.set()
        self.thread.join()
        return self.peak / 2**20


def tree_rss(pid: int) -> int:
    """Bytes of memory of ``pid`` and its descendants: the sum of their proportional set
    sizes (PSS), so that pages forked workers share with their parent count once."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as status:
                total += next(int(line.split()[1]) * 1024 for line in status
                              if line.startswith("Pss:"))
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    pending += [int(child) for child in children.read().split()]
        except (OSError, StopIteration, ValueError):
            pass
    return total


def run_report(args: list[str]) -> tuple[float, float, int]:
    """Seconds, peak MiB of the process tree, and exit status of ``diffcompare report``;
    prints the CPU seconds of the whole tree too (a measure a busy machine disturbs less)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "diffcompare", "report", *args],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    memory = TreeMemory(process.pid)
    _, errors = process.communicate()
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"  (report {' '.join(args[-2:])}: {seconds:.1f} s wall, {cpu:.1f} s CPU in all "
          "processes)")
    if process.returncode not in (0, 2):
        print(errors.decode(errors="replace"))
    return seconds, memory.stop(), process.returncode


def version_files(out: Path) -> dict[str, bytes]:
    current = (out / ".diffcompare-report" / "current").resolve()
    return {str(p.relative_to(current)): p.read_bytes() for p in sorted(current.rglob("*"))
            if p.is_file()}


def builtin(work: Path) -> bool:
    seconds, mib, status = run_report(["--out", str(work / "builtin")])
    run_report(["--out", str(work / "builtin-again")])
    same = version_files(work / "builtin") == version_files(work / "builtin-again")
    print(f"built-in report: {seconds:.1f} s wall (target <= {BUILTIN_SECONDS:g} s): "
          f"{verdict(seconds <= BUILTIN_SECONDS and status == 0)}")
    print(f"  the same bytes from a second run: {verdict(same)}")
    return seconds <= BUILTIN_SECONDS and status == 0 and same


def classroom(work: Path, count: int) -> bool:
    corpus = work / "classroom.txt"
    corpus.write_text("\n".join(corpus_lines(count)) + "\n")
    seconds, mib, status = run_report(["--corpus", str(corpus), "--out", str(work / "class"),
                                       "--jobs", str(JOBS)])
    files = version_files(work / "class")
    pages = {name: len(data) for name, data in files.items() if name.endswith((".html", ".md"))}
    largest = max(pages, key=pages.get)
    ok_time, ok_memory = seconds <= SCALE_SECONDS, mib <= SCALE_MIB
    ok_pages = pages[largest] <= PAGE_BYTES and status == 0
    print(f"{count:,} expressions, --jobs {JOBS}: {seconds:.1f} s wall (target <= "
          f"{SCALE_SECONDS:g} s): {verdict(ok_time)}")
    print(f"  peak memory of the process tree: {mib:.0f} MiB (target <= {SCALE_MIB:g}): "
          f"{verdict(ok_memory)}")
    print(f"  largest page: {largest}, {pages[largest] / 1e6:.2f} MB of {len(pages)} pages "
          f"(target <= {PAGE_BYTES / 1e6:g} MB): {verdict(ok_pages)}")
    return ok_time and ok_memory and ok_pages


def short_cases(count: int) -> list[str]:
    expression, point = SHORT
    return [f"{expression.format(a=k % 9 + 1)} @ {point.format(p=f'{k % 17 / 10 + 0.1:g}')}"
            for k in range(count)]


def throughput(count: int) -> bool:
    from diffcompare import compare, compare_many

    cases = short_cases(count)
    start = time.perf_counter()
    for case in cases[: count // 4]:
        expression, _, at = case.partition("@")
        compare(expression, at=at)
    loop = count // 4 / (time.perf_counter() - start)
    rates = {}
    for jobs in (1, JOBS):
        list(compare_many(cases[:20], jobs=jobs))  # start-up, not measured
        start = time.perf_counter()
        results = list(compare_many(cases, jobs=jobs))
        rates[jobs] = count / (time.perf_counter() - start)
        assert all(r.agree for r in results), "a short case did not agree"
    speedup = rates[JOBS] / rates[1]
    print(f"compare() in a loop: {loop:.0f} expressions/s; compare_many: jobs=1 "
          f"{rates[1]:.0f}/s, jobs={JOBS} {rates[JOBS]:.0f}/s")
    print(f"  jobs={JOBS} / jobs=1: {speedup:.2f}x (target >= {SPEEDUP:g}x on an idle "
          f"{JOBS}-core machine): {verdict(speedup >= SPEEDUP)}")
    print(f"  (this machine's own ceiling, a loop of Python arithmetic in {JOBS} processes "
          f"against 1: {machine_scaling():.2f}x)")
    print(f"  jobs={JOBS}: {rates[JOBS]:.0f} short expressions/s (target >= {RATE:g}): "
          f"{verdict(rates[JOBS] >= RATE)}")
    return speedup >= SPEEDUP and rates[JOBS] >= RATE


def _arithmetic(count: int) -> int:
    total = 0
    for k in range(count):
        total += k * k % 7
    return total


def machine_scaling(count: int = 4_000_000) -> float:
    """How much faster JOBS processes run JOBS equal loops of Python arithmetic than one
    process runs them in turn: the most any pool can gain on this machine now (virtual
    cores may share a physical one, or be busy with other work)."""
    import multiprocessing

    start = time.perf_counter()
    for _ in range(JOBS):
        _arithmetic(count)
    alone = time.perf_counter() - start
    with multiprocessing.get_context("fork").Pool(JOBS) as pool:
        start = time.perf_counter()
        pool.map(_arithmetic, [count] * JOBS)
        together = time.perf_counter() - start
    return alone / together


def flat_memory(count: int) -> bool:
    """The process tree's memory, sampled every 1% of the cases: the largest sample of
    the last fifth against the largest of the second and third tenths. Workers are
    replaced every TASKS_PER_WORKER cases, so each window spans their whole life."""
    from diffcompare import compare_many

    cases = short_cases(count)
    me = os.getpid()
    samples = {}
    for k, _ in enumerate(compare_many(cases, jobs=JOBS), start=1):
        if k % max(1, count // 100) == 0:
            samples[k] = tree_rss(me)
    early = max(v for k, v in samples.items() if count * 0.1 < k <= count * 0.3)
    late = max(v for k, v in samples.items() if k > count * 0.8)
    growth = late / early
    ok = growth <= MEMORY_GROWTH
    print(f"compare_many over {count:,} expressions: process tree at most "
          f"{early / 2**20:.0f} MiB over cases {count // 10:,}-{count * 3 // 10:,}, "
          f"{late / 2**20:.0f} MiB over the last fifth ({growth:.2f}x, target <= "
          f"{MEMORY_GROWTH:g}x): {verdict(ok)}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="every size divided by 10: a smoke run, not the targets")
    quick = parser.parse_args().quick
    scale = 10 if quick else 1
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the start")
    with tempfile.TemporaryDirectory(prefix="report-scale-") as work:
        met = [builtin(Path(work)), classroom(Path(work), SCALE_EXPRESSIONS // scale),
               throughput(THROUGHPUT_EXPRESSIONS // scale),
               flat_memory(MEMORY_EXPRESSIONS // scale)]
    print("every target met" if all(met) else "some targets NOT MET")


if __name__ == "__main__":
    main()
