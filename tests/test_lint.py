"""The linter is part of the test command: a change that ruff refuses (pyproject's [tool.ruff]) fails the suite."""

import subprocess
import sys

from fedlocal import paths


def test_ruff_finds_nothing_in_the_project():
    res = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."],
                         cwd=paths.ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
