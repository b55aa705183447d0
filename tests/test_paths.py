"""Where the project is, and writing files atomically."""

from pathlib import Path

import pytest

from fedlocal import paths


def test_the_project_folder_is_found_by_variable_checkout_or_working_directory(tmp_path):
    assert paths.find_root({paths.ROOT_ENV: str(tmp_path)}) == tmp_path.resolve()
    assert paths.find_root({}, cwd=tmp_path) == paths.ROOT  # this checkout holds the package
    assert (paths.ROOT / paths.PROJECT_MARKER).is_file() and paths.require_project() == paths.ROOT


def test_an_installed_package_finds_the_project_from_a_working_directory_inside_it(tmp_path, monkeypatch):
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    (project / "notebooks").mkdir(parents=True)
    (project / paths.PROJECT_MARKER).write_text("stages: []\n")
    elsewhere.mkdir()
    monkeypatch.setattr(paths, "__file__", str(tmp_path / "site-packages" / "fedlocal" / "paths.py"))
    assert paths.find_root({}, cwd=project / "notebooks") == project
    assert paths.find_root({}, cwd=elsewhere) == elsewhere  # nothing found: require_project will say so


def test_require_project_names_the_folder_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    monkeypatch.setattr(paths, "PIPELINE_FILE", tmp_path / paths.PROJECT_MARKER)
    with pytest.raises(paths.ProjectError, match=f"{tmp_path}.*{paths.ROOT_ENV}"):
        paths.require_project()


@pytest.mark.parametrize("content", ["naïve text\n", b"\x00\x01 bytes"])
def test_write_atomic_replaces_the_file_and_leaves_no_temporary(tmp_path, content):
    target = tmp_path / "new" / "out.txt"
    paths.write_atomic(target, "old")
    paths.write_atomic(target, content)
    expected = content.encode("utf-8") if isinstance(content, str) else content
    assert target.read_bytes() == expected
    assert [p.name for p in Path(target.parent).iterdir()] == ["out.txt"]


def test_a_notebook_run_by_hand_writes_to_scratch_and_says_so(capsys):
    from fedlocal.paths import SCRATCH, Layout, output_layout

    lay = output_layout("")
    assert lay.figures == SCRATCH / "figures" and lay.manifest == SCRATCH / "manifest.json"
    assert lay.figures != Layout.canonical().figures and lay.variables_file != Layout.canonical().variables_file
    assert "results/scratch/" in capsys.readouterr().out
    assert output_layout("results/runs/x").figures.parent.name == "x"  # the runner's folder is taken as given
