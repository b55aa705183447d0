"""The command line: user errors become one message on stderr and exit code 2."""

import os
import subprocess
import sys

from fedlocal import paths


def _fedlocal(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fedlocal", *args], capture_output=True, text=True,
                          env={**os.environ, **env})


def test_the_command_line_reports_bad_parameters_and_exits_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("scale: 0\n")
    res = _fedlocal("check", "--params", str(bad))
    assert res.returncode == 2
    assert res.stderr.startswith("error: ") and "'scale'" in res.stderr and "bad.yaml" in res.stderr
    assert res.stdout == ""


def test_a_folder_that_is_not_the_project_is_named_with_the_fix(tmp_path):
    res = _fedlocal("list", **{paths.ROOT_ENV: str(tmp_path)})
    assert res.returncode == 2
    assert str(tmp_path) in res.stderr and "no pipeline.yaml" in res.stderr and paths.ROOT_ENV in res.stderr
    assert _fedlocal("params", **{paths.ROOT_ENV: str(tmp_path)}).returncode == 0  # the package's own reference


def test_check_validates_the_restricted_files_of_a_restricted_run(tmp_path):
    """`fedlocal check` of a restricted run loads FEDLOCAL_NCVS_DIR: a bad extract is named before anything runs."""
    from fixtures.ncvs_raw import raw_files, write

    person, household, incident = raw_files()
    person.loc[2, "INTMONTH"] = 13
    write(tmp_path, person, household, incident)
    res = _fedlocal("check", "--set", "ncvs_source=restricted", **{paths.RESTRICTED_ENV: str(tmp_path)})
    assert res.returncode == 2
    assert "INTMONTH" in res.stderr and "not months 1..12" in res.stderr

    res = _fedlocal("check", "--set", "ncvs_source=restricted", **{paths.RESTRICTED_ENV: str(tmp_path / "absent")})
    assert res.returncode == 2 and "not a directory" in res.stderr
