"""A regular (non-editable) install carries everything the package reads at run time.

The project is built into a wheel the way `pip install .` builds it, and the wheel installed without its
dependencies into a fresh virtual environment. The third-party dependencies come from the environment running
the tests (a .pth line adds its site-packages after the fresh one, so nothing is downloaded and `fedlocal`
itself can only come from the wheel). Then, from a folder outside the repository:
every data file of src/fedlocal is in the installed package, the restricted-file mapping loads, and
`fedlocal check` runs against the repository named by FEDLOCAL_ROOT and refuses clearly without it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import venv
from pathlib import Path

import pytest

from fedlocal import paths

pytestmark = pytest.mark.pipeline

SOURCE = paths.ROOT / "src" / "fedlocal"
BUILD_INPUTS = ("pyproject.toml", "README.md", "LICENSE", "LICENSE-CC-BY-4.0")


def _data_files(package: Path) -> set[str]:
    return {f.relative_to(package).as_posix() for f in package.rglob("*")
            if f.is_file() and f.suffix not in (".py", ".pyc") and "__pycache__" not in f.parts}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment with fedlocal installed from a wheel; returns its bin/ folder."""
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src-copy"  # build from a copy: an in-tree build would leave build/ in the repository
    src.mkdir()
    for name in BUILD_INPUTS:
        if (paths.ROOT / name).is_file():
            shutil.copy(paths.ROOT / name, src / name)
    shutil.copytree(SOURCE, src / "src" / "fedlocal", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                          "--wheel-dir", str(tmp / "dist"), str(src)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    wheel = next((tmp / "dist").glob("fedlocal-*.whl"))

    env = tmp / "venv"
    venv.create(env, with_pip=False)
    python = env / "bin" / "python"
    res = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet",
                          str(wheel)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "zz-test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return env / "bin"


def _run(cmd: list, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != paths.ROOT_ENV}
    return subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, env={**environ, **env})


def test_the_installed_package_carries_every_data_file(installed, tmp_path):
    probe = textwrap.dedent("""
        import sys
        from pathlib import Path
        import fedlocal
        from fedlocal.data.ncvs import restricted
        from fedlocal.manuscript import project
        package = Path(fedlocal.__file__).parent
        assert package.is_relative_to(Path(sys.prefix)), package  # the wheel's copy, not the source tree
        assert restricted.load_mapping()["keys"]
        for asset in (project.LUA_FILTER, project.HTML_CSS, project.TYPST_HEADER):
            assert asset.is_file(), asset
        print(package)
    """)
    res = _run([installed / "python", "-c", probe], tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    package = Path(res.stdout.strip())
    missing = sorted(_data_files(SOURCE) - _data_files(package))
    assert not missing, f"files of src/fedlocal the wheel does not install (pyproject package-data): {missing}"


def test_fedlocal_check_runs_from_anywhere_with_the_project_named(installed, tmp_path):
    res = _run([installed / "fedlocal", "check", "--params", paths.PARAMS / "ci.yaml"], tmp_path,
               **{paths.ROOT_ENV: str(paths.ROOT)})
    assert res.returncode == 0, res.stderr[-3000:]
    assert "raw files verified" in res.stdout


def test_fedlocal_check_outside_the_project_says_how_to_point_at_it(installed, tmp_path):
    res = _run([installed / "fedlocal", "check"], tmp_path)
    assert res.returncode == 2
    assert "is not a fedlocal project folder" in res.stderr and paths.ROOT_ENV in res.stderr
