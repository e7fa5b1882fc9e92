"""What a user gets from the package: an sdist whose tests collect, types, a licence."""

import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# mypy checks a user's code against the public API (tests/typing_usage.py, which sees
# diffcompare's types through py.typed) and the modules of the notebook, grading and claim
# features whole; other modules' bodies are followed silently.
PUBLIC_MODULES = ["tests/typing_usage.py", "diffcompare/__init__.py", "diffcompare/engine.py",
                  "diffcompare/draw.py", "diffcompare/notebook.py", "diffcompare/grade",
                  "diffcompare/methods/claim.py", "diffcompare/value_graph.py"]


def _build_sdist(out: Path) -> Path:
    # setuptools' own backend, in a child process, with no isolated build environment:
    # no network, a second or two.
    code = ("import sys; from setuptools import build_meta; "
            "print(build_meta.build_sdist(sys.argv[1]))")
    done = subprocess.run([sys.executable, "-c", code, str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return out / done.stdout.strip().splitlines()[-1]


def test_sdist_ships_the_licence_the_type_marker_and_collectable_tests(tmp_path):
    archive = _build_sdist(tmp_path)
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    root = next((tmp_path / "unpacked").iterdir())
    assert (root / "LICENSE").read_text().startswith("MIT License")
    assert (root / "diffcompare" / "py.typed").exists()
    expected = sorted(path.name for path in (ROOT / "tests").glob("test_*.py"))
    assert sorted(path.name for path in (root / "tests").glob("test_*.py")) == expected
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p",
                           "no:cacheprovider", "tests"], cwd=root, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "error" not in done.stdout.lower().split("tests collected")[-1]


def test_public_api_type_checks_with_mypy():
    done = subprocess.run([sys.executable, "-m", "mypy", "--ignore-missing-imports",
                           "--follow-imports=silent", "--no-error-summary",
                           *[m for m in PUBLIC_MODULES if (ROOT / m).exists()]],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-1000:]
