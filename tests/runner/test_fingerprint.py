"""The code hash: what counts as library code a stage runs, and what does not."""

import importlib.util
import shutil
from pathlib import Path

import pytest

import fedlocal
from fedlocal.runner import fingerprint

PACKAGE = Path(fedlocal.__file__).resolve().parent


@pytest.fixture
def package(tmp_path) -> Path:
    """A copy of the installed package to edit."""
    copy = tmp_path / "fedlocal"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_every_module_left_out_of_the_code_hash_exists():
    """A renamed runner, CLI or manuscript package must not drop out of this list unnoticed."""
    for name in fingerprint.NOT_STAGE_CODE:
        assert importlib.util.find_spec(name) is not None, f"{name} (NOT_STAGE_CODE) is not a module"


def test_module_names_of_package_files():
    assert fingerprint.module_name(PACKAGE / "runner" / "__init__.py", PACKAGE) == "fedlocal.runner"
    assert fingerprint.module_name(PACKAGE / "manuscript" / "quarto.lua", PACKAGE) == "fedlocal.manuscript.quarto"
    assert fingerprint.module_name(PACKAGE / "cli.py", PACKAGE) == "fedlocal.cli"
    assert not fingerprint.is_stage_code("fedlocal.runner.run") and fingerprint.is_stage_code("fedlocal.runners")


@pytest.mark.parametrize("path", ["runner/run.py", "runner/new_module.py", "manuscript/quarto.lua",
                                  "manuscript/fallback.py", "cli.py", "__main__.py", "models/__pycache__/x.pyc"])
def test_the_runner_cli_and_manuscript_do_not_change_the_code_hash(package, path):
    before = fingerprint.code_hash(package)
    (package / path).parent.mkdir(parents=True, exist_ok=True)
    with open(package / path, "a") as f:
        f.write("\n# edited\n")
    assert fingerprint.code_hash(package) == before


@pytest.mark.parametrize("path", ["models/logit.py", "params.py", "vocab.py", "data/ncvs/restricted_mapping.yaml",
                                  "data/some_table.csv", "report/new_module.py"])
def test_library_code_and_data_files_change_the_code_hash(package, path):
    before = fingerprint.code_hash(package)
    with open(package / path, "a") as f:
        f.write("\n# edited\n")
    assert fingerprint.code_hash(package) != before
