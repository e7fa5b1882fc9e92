"""The architecture, checked: layers import only downward, and the methods stay apart."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_layers_import_only_downward_as_the_import_linter_contract_says():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_layers_every_module_of_the_package_sits_in_a_layer():
    text = (ROOT / "pyproject.toml").read_text()
    start = text.index("layers = [")
    layers = text[start:text.index("]", start)]
    named = {part.strip().strip('",') for line in layers.splitlines()[1:]
             for part in line.split(":")}
    package = ROOT / "diffcompare"
    modules = {f"diffcompare.{path.stem if path.is_file() else path.name}"
               for path in package.iterdir()
               if (path.suffix == ".py" and not path.name.startswith("__"))
               or (path.is_dir() and (path / "__init__.py").exists())}
    assert modules <= named, f"modules in no layer: {sorted(modules - named)}"
