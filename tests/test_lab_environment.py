"""Students' environment: JupyterLab is an optional extra with its own lock, pinned like the default one."""

from __future__ import annotations

import re

from fedlocal import paths

PIN = re.compile(r"^([a-z0-9][a-z0-9._-]*)==([^ \\]+)", re.M)


def _pins(name: str) -> dict[str, str]:
    return dict(PIN.findall((paths.ROOT / name).read_text()))


def test_default_lock_stays_lean_and_lab_lock_adds_jupyterlab_with_the_same_pins():
    default, lab = _pins("requirements.lock"), _pins("requirements-lab.lock")
    assert "jupyterlab" not in default, "JupyterLab belongs in the lab extra, not the default environment"
    assert "jupyterlab" in lab and "jupytext" in lab
    assert {k: lab[k] for k in default if k in lab} == {k: v for k, v in default.items() if k in lab}
    assert set(default) <= set(lab)
    assert "--hash=sha256:" in (paths.ROOT / "requirements-lab.lock").read_text()


def test_binder_installs_the_package_and_make_lab_uses_the_lab_lock():
    post = (paths.ROOT / "binder" / "postBuild").read_text()
    assert "pip install --no-deps -e ." in post
    assert "requirements-lab.lock" in (paths.ROOT / "binder" / "requirements.txt").read_text()
    make = (paths.ROOT / "Makefile").read_text()
    assert re.search(r"^lab:", make, re.M) and "-r requirements-lab.lock" in make
    env_recipe = make.split("$(VENV)/.installed:", 1)[1].split("\n\n", 1)[0]
    assert "lab" not in env_recipe, "make env must not install the lab extra"
