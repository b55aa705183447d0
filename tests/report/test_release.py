"""Disclosure-safe release of a stage's outputs: roles from column names, tables, quoted numbers, notebooks."""

import nbformat
import pandas as pd
import pytest
import yaml

from fedlocal.report import release


def test_release_is_on_for_restricted_runs_and_when_asked():
    assert release.active({"ncvs_source": "restricted", "disclosure": False})
    assert release.active({"ncvs_source": "synthetic", "disclosure": True})
    assert not release.active({"ncvs_source": "synthetic", "disclosure": False})


def test_roles_come_from_column_names_and_types():
    df = pd.DataFrame({"policy": ["sc"], "year": [2010], "estimate": [0.1], "persons": [100], "interviews": [300],
                       "counties": [40], "covered": [True]})
    roles = release.table_roles(df)
    assert roles == {"estimates": ["estimate"], "counts": ["interviews", "counties"], "n": "persons", "labels": ["year"]}


def test_a_table_is_rounded_and_small_cells_suppressed():
    df = pd.DataFrame({"group": ["latino", "tiny"], "odds_ratio": [1.234567, 2.5], "persons": [59_468, 9],
                       "interviews": [167_995, 20]})
    table = release.protect_frame(df, "tables/x.csv", sample_n=1000).table
    assert table.loc[0, "odds_ratio"] == 1.235 and table.loc[0, "persons"] == 59_500 and table.loc[0, "interviews"] == 168_000
    assert table.loc[1, "odds_ratio"].startswith("suppressed") and table.loc[1, "persons"] == "<15"


def test_a_table_without_an_n_column_takes_the_stage_sample():
    df = pd.DataFrame({"policy": ["sc"], "planted": [1.2], "odds_ratio": [0.950504617]})
    protected = release.protect_frame(df, "tables/planted.csv", sample_n=354_941)
    assert list(protected.table.columns) == ["policy", "planted", "odds_ratio"]  # no invented N column
    assert protected.table.loc[0, "odds_ratio"] == 0.9505
    assert set(protected.cells["n_unweighted"]) == {354_941}


def test_quoted_numbers_follow_the_same_rules(tmp_path):
    path = tmp_path / "ncvs.yml"
    path.write_text(yaml.safe_dump({"ncvs": {"persons": "354,941", "interviews_per_person": "2.8234", "share": "16.52%",
                                             "source": "restricted", "counties": "9"}}))
    protected = release.protect_variables(path, sample_n=354_941)
    values = yaml.safe_load(path.read_text())["ncvs"]
    assert values == {"persons": "355,000", "interviews_per_person": "2.823", "share": "16.52%", "source": "restricted",
                      "counties": "<15"}
    assert len(protected.cells) == 4


def test_printed_notebook_output_is_withheld_and_figures_kept(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("interviews.head()")
    cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "person_id 17 ..."}, execution_count=1),
                    nbformat.v4.new_output("stream", name="stdout", text="354941 persons\n"),
                    nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})]
    nb.cells = [nbformat.v4.new_markdown_cell("# narrative"), cell]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    assert release.scrub_notebook(path) == 2
    text = path.read_text()
    assert "354941" not in text and "person_id 17" not in text and "<Figure>" not in text
    assert "image/png" in text and release.WITHHELD_OUTPUT in text


@pytest.mark.parametrize("value", ["2005-01", "sc", "True"])
def test_text_that_is_not_a_number_passes(tmp_path, value):
    path = tmp_path / "v.yml"
    path.write_text(yaml.safe_dump({"models": {"window": value}}))
    release.protect_variables(path, sample_n=100)
    assert yaml.safe_load(path.read_text())["models"]["window"] == value


def test_an_interval_is_two_estimates(tmp_path):
    path = tmp_path / "m.yml"
    path.write_text(yaml.safe_dump({"models": {"sc_all_ci": "0.791064–1.0727455", "persons": "354,745"}}))
    release.protect_variables(path, sample_n=354_745)
    assert yaml.safe_load(path.read_text())["models"] == {"sc_all_ci": "0.7911–1.073", "persons": "355,000"}


def test_review_bundle_names_every_released_output(tmp_path):
    path = tmp_path / "variables" / "ncvs.yml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump({"ncvs": {"persons": "354,941"}}))
    released = [release.protect_variables(path, sample_n=354_941),
                release.protect_frame(pd.DataFrame({"group": ["all"], "odds_ratio": [1.2], "persons": [500]}),
                                      "tables/main-estimates.csv", sample_n=500)]
    bundle = release.record_stage(tmp_path / "disclosure", "ncvs", released).read_text()
    assert "### variables/ncvs.yml" in bundle and "### tables/main-estimates.csv" in bundle
    assert "ncvs.persons" in bundle and "354941" in bundle.replace(",", "")  # exact N stays in the confidential bundle
