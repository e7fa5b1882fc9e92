"""A user's engine runs in a process of its own: whatever it does, the verdict is right.

The engines of tests/engines/hostile/ each misbehave in one way (hang in ways a signal
cannot stop, leave the process by every route, patch the tool, crash, print 100 MB).
They are checked as one class, mixed with correct and ordinarily buggy engines.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from helpers import ROOT, run_cli

from diffcompare import InputError, check_engine
from diffcompare.check.isolation import ChildLost, EngineProcess
from diffcompare.check.user_engine import load

ENGINES = ROOT / "tests" / "engines"
HOSTILE = ENGINES / "hostile"

# The time limit per check in the class run; hangs cost it at most MAX_LOST times each.
TIMEOUT = "1"
# The whole class run: about 15 s on 2 shared cores; the bound leaves room for a busy machine.
CLASS_SECONDS = 90

TIMED_OUT = "does not finish"
# engine (relative to tests/engines): (verdict, words of its first cause)
EXPECTED = {
    "hostile/swallows_timeout.py": ("FAIL", TIMED_OUT),
    "hostile/cancels_alarm.py": ("FAIL", TIMED_OUT),
    "hostile/c_level_loop.py": ("FAIL", TIMED_OUT),
    "hostile/del_sleeps.py": ("FAIL", TIMED_OUT),
    "hostile/ignores_signals.py": ("FAIL", TIMED_OUT),
    "hostile/non_daemon_thread.py": ("PASS", None),
    "hostile/posix_exit.py": ("FAIL", "process ended with exit status 0"),
    "hostile/execs.py": ("FAIL", "replaced itself with execv"),
    "hostile/thread_exits.py": ("FAIL", "process ended with exit status 0"),
    "hostile/patches_sympy.py": ("FAIL", "does not seed the output's grad"),
    "hostile/helpers_a/engine.py": ("PASS", None),
    "hostile/helpers_b/engine.py": ("FAIL", "tanh's derivative is 1 - t"),
    "hostile/changes_directory.py": ("PASS", None),
    "hostile/raises_base_exception.py": ("FAIL", "backward() raises Interrupted"),
    "hostile/raises_generator_exit.py": ("FAIL", "backward() raises GeneratorExit"),
    "hostile/refuses_part_of_tanh.py": ("FAIL", "tanh's derivative is 1 - t"),
    "hostile/prints_100_mb.py": ("FAIL", "printed more than 8 MiB"),
    "hostile/crashes.py": ("FAIL", "killed by SIGSEGV"),
    "hostile/forks.py": ("PASS", None),
    "hostile/eats_memory.py": ("FAIL", "backward() raises MemoryError"),
    "correct.py": ("PASS", None),
    "wrong_tanh.py": ("FAIL", "tanh's derivative is 1 - t"),
    "no_seed.py": ("FAIL", "does not seed the output's grad"),
    "wrong_rsub.py": ("FAIL", "__rsub__ computes self - other"),
}


def _our_processes() -> set[str]:
    """Processes of engines (their child.py, or what they exec'd), with their pids."""
    done = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True)
    return {line.strip() for line in done.stdout.splitlines()
            if "check/child.py" in line or line.split(None, 1)[-1].startswith("sleep 60")}


def test_isolation_class_run_of_hostile_engines_gives_every_verdict():
    before = _our_processes()
    # Relative paths, run from tests/engines: changes_directory.py must not break the
    # engines after it. Hostile engines first, so every correct engine comes after them.
    names = sorted(name for name in EXPECTED if name.startswith("hostile/")) + [
        name for name in EXPECTED if not name.startswith("hostile/")]
    start = time.monotonic()
    done = run_cli("check", *names, "--timeout", TIMEOUT, "--jobs", "2", "--json",
                   cwd=ENGINES, timeout=CLASS_SECONDS * 2)
    seconds = time.monotonic() - start
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    engines = json.loads(done.stdout)["engines"]
    verdicts = {document["spec"]: document for document in engines}
    assert set(verdicts) == set(EXPECTED)
    for name, (verdict, words) in EXPECTED.items():
        document = verdicts[name]
        assert ("PASS" if document["ok"] else "FAIL") == verdict, (name, document["causes"])
        if words is not None:
            assert words in document["causes"][0], (name, document["causes"])
    assert seconds < CLASS_SECONDS
    assert _our_processes() - before == set()  # every child, and what it exec'd, is gone


def test_isolation_partial_refusal_is_judged_where_it_computes():
    report = check_engine(str(HOSTILE / "refuses_part_of_tanh.py"))
    tanh = next(r for r in report.results if r.name == "tanh(x)" and r.check.role != "edge")
    assert tanh.status == "fail" and "refused at x=0.5" in tanh.note
    assert "tanh(x)" not in report.unsupported
    edges = [r for r in report.results if r.name == "tanh(x)" and r.check.role == "edge"]
    assert [r.status for r in edges] == ["limit", "limit"]
    assert "a limit of its domain" in edges[0].failure.message


def test_isolation_the_parent_state_is_untouched():
    cwd, handlers = os.getcwd(), signal.getsignal(signal.SIGTERM)
    import math

    import sympy
    diff, isclose = sympy.diff, math.isclose
    check_engine(str(HOSTILE / "patches_sympy.py"))
    check_engine(str(HOSTILE / "changes_directory.py"))
    assert (sympy.diff, math.isclose) == (diff, isclose)
    assert os.getcwd() == cwd and signal.getsignal(signal.SIGTERM) == handlers


def test_isolation_a_silent_child_is_killed_and_named(tmp_path):
    engine = tmp_path / "silent.py"
    engine.write_text("import time\nclass Value:\n    def __init__(self, data):\n"
                      "        print('about to sleep')\n        time.sleep(60)\n")
    with EngineProcess(f"{engine}:Value") as process:
        assert process.start() == {"ok": True}
        start = time.monotonic()
        with pytest.raises(ChildLost) as caught:
            process.ask({"shape": True}, 0.3, "Value(2.0)")
        assert time.monotonic() - start < 5
    assert caught.value.kind == "timeout"
    assert "took longer than 0.3 s; last output: about to sleep" in str(caught.value)


def test_isolation_class_without_a_file_runs_by_its_source():
    class Local:  # no module file holds it: it runs apart from its source text
        def __init__(self, data):
            self.data = data

    engine = load(Local)
    assert engine.source is not None and engine.source.startswith("class Local")
    with pytest.raises(InputError, match="has no .grad attribute"):
        check_engine(Local)


def test_isolation_class_without_any_source_says_so():
    namespace = {"__name__": "notebook_cell"}
    exec("import math\nclass Value:\n    def __init__(self, data):\n        self.data = data\n",
         namespace)
    with pytest.raises(InputError, match="its source cannot be found"):
        load(namespace["Value"])


def test_isolation_folder_holds_no_engine_is_one_line(tmp_path):
    done = run_cli("check", str(tmp_path))
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "holds no .py file that defines class Value" in done.stderr


def test_isolation_engine_dies_with_a_killed_parent(tmp_path):
    # A parent killed with SIGKILL cannot clean up: the kernel ends its engine process.
    engine = tmp_path / "hangs.py"
    engine.write_text("import time\nclass Value:\n    def __init__(self, data):\n"
                      "        time.sleep(60)\n")
    script = ("import sys, time\nfrom diffcompare.check.isolation import EngineProcess\n"
              f"p = EngineProcess({str(engine) + ':Value'!r})\np.start()\n"
              "print(p._process.pid, flush=True)\n"
              "p.ask({'shape': True}, 60, 'x')\n")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    child = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
