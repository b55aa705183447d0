"""The offline install of issue 17: `make wheelhouse`, then `make env OFFLINE=1` with the package index unreachable.

The wheelhouse (every wheel of requirements.lock and requirements-bootstrap.lock, about 330 MB) comes from
the repository's `wheelhouse/` when one is there (a researcher who carried it into a data centre), else it is
built once with `make wheelhouse` into pytest's cache directory and reused by later sessions (rebuilt only
when a lock file changes). The installs run in a fresh virtual environment and a fresh uv cache, with every
index and proxy pointed at a closed loopback port, so any attempt to reach the network fails the test.
"""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fedlocal import paths

pytestmark = pytest.mark.install

UNREACHABLE = "http://127.0.0.1:9/"  # the discard port: nothing listens, connections are refused at once


def _make_env() -> dict[str, str]:
    """The environment minus anything a parent make or this machine's pip/uv set-up would pass on."""
    drop = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "VIRTUAL_ENV"}
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith(("PIP_", "UV_"))}


def _offline_env(tmp: Path) -> dict[str, str]:
    env = _make_env()
    env.update({
        "PIP_CONFIG_FILE": os.devnull,  # no machine-wide find-links or extra indexes
        "PIP_INDEX_URL": UNREACHABLE, "UV_DEFAULT_INDEX": UNREACHABLE, "UV_INDEX_URL": UNREACHABLE,
        "PIP_NO_CACHE_DIR": "1", "PIP_RETRIES": "0", "PIP_DEFAULT_TIMEOUT": "5",
        "UV_CACHE_DIR": str(tmp / "uv-cache"),
        **{k: UNREACHABLE for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")},
    })
    env.pop("no_proxy", None)
    env.pop("NO_PROXY", None)
    return env


def _python() -> str:
    return shutil.which("python3.11") or sys.executable


def _make(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-C", str(paths.ROOT), "--no-print-directory", *args, f"PYTHON={_python()}"],
                          capture_output=True, text=True, env=env)


@pytest.fixture(scope="session")
def wheelhouse(request) -> Path:
    carried = paths.ROOT / "wheelhouse"
    if (carried / ".complete").is_file():
        return carried
    cached = request.config.cache.mkdir("wheelhouse")
    res = _make("wheelhouse", f"WHEELHOUSE={cached}", env=_make_env())
    assert res.returncode == 0, ("`make wheelhouse` failed (it needs the package index once; or put a complete "
                                 "wheelhouse/ in the repository):\n" + res.stdout[-2000:] + res.stderr[-3000:])
    return cached


def test_the_blocked_environment_really_has_no_index(tmp_path):
    res = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--dest", str(tmp_path), "six"],
                         capture_output=True, text=True, env=_offline_env(tmp_path))
    assert res.returncode != 0 and not list(tmp_path.glob("*.whl"))


def test_the_wheelhouse_holds_every_locked_wheel_and_uv(wheelhouse):
    def names(lock: Path) -> set[str]:
        return {ln.split("==")[0].lower().replace("-", "_") for ln in lock.read_text().splitlines()
                if "==" in ln and not ln.startswith("#")}

    wheels = {w.name.split("-")[0].lower() for w in wheelhouse.glob("*.whl")}
    wanted = names(paths.ROOT / "requirements.lock") | names(paths.ROOT / "requirements-bootstrap.lock")
    assert {"uv", "setuptools"} <= wanted
    assert wanted <= wheels, sorted(wanted - wheels)


def test_env_installs_offline_from_the_wheelhouse_and_runs(wheelhouse, tmp_path):
    venv = tmp_path / "venv"
    res = _make("env", "OFFLINE=1", f"WHEELHOUSE={wheelhouse}", f"VENV={venv}", env=_offline_env(tmp_path))
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    out = subprocess.run([str(venv / "bin" / "fedlocal"), "params"], capture_output=True, text=True,
                         env=_offline_env(tmp_path))
    assert out.returncode == 0, out.stderr[-2000:]
    assert "`seed`" in out.stdout and "`ncvs_source`" in out.stdout


def test_a_tampered_wheel_is_refused(wheelhouse, tmp_path):
    """Hashes are checked: the same wheel re-zipped (valid, but other bytes) stops the install."""
    house = tmp_path / "wheelhouse"
    house.mkdir()
    for f in wheelhouse.iterdir():
        (house / f.name).symlink_to(f)
    victim = sorted(house.glob("asttokens-*.whl"))[0]
    victim.unlink()
    with zipfile.ZipFile(wheelhouse / victim.name) as src, zipfile.ZipFile(victim, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
    venv = tmp_path / "venv"
    res = _make("env", "OFFLINE=1", f"WHEELHOUSE={house}", f"VENV={venv}", env=_offline_env(tmp_path))
    assert res.returncode != 0
    assert "hash" in (res.stdout + res.stderr).lower()
    assert not (venv / ".installed").exists()
