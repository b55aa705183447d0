"""Every figure and table links to the executed notebook that made it (pipeline.yaml's stage -> outputs map)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from fedlocal import paths
from fedlocal.manuscript import notebooks
from fedlocal.manuscript.project import ARTICLE
from fedlocal.paths import Layout

TEXT = ARTICLE.read_text()


def test_every_figure_and_table_of_the_article_maps_to_the_notebook_of_its_stage():
    floats = notebooks.float_outputs(TEXT)
    assert floats["fig-policy-coverage"] == "figures/policy-coverage-by-month.png"
    assert floats["tbl-policy-coverage"] == "tables/policy-coverage-by-year.md"
    mapped = notebooks.float_notebooks(TEXT)
    assert set(mapped) == set(floats), f"floats without a notebook: {sorted(set(floats) - set(mapped))}"
    stages = yaml.safe_load(paths.PIPELINE_FILE.read_text())["stages"]
    stems = {Path(s["notebook"]).stem for s in stages}
    assert set(mapped.values()) <= stems
    assert mapped["tbl-policy-coverage"] == "01-build-policy-panel"
    assert mapped["fig-police-crime-event-study"] == "06-police-recorded-crime"


def test_links_only_to_notebooks_the_run_has(tmp_path):
    lay = Layout.at(tmp_path)
    assert notebooks.link_metadata(TEXT, lay) == {}
    lay.notebooks.mkdir(parents=True)
    (lay.notebooks / "01-build-policy-panel.ipynb").write_text("{}")
    meta = notebooks.link_metadata(TEXT, lay)
    assert meta["fedlocal-notebook-tbl-policy-coverage"] == "notebooks/01-build-policy-panel.html"
    assert all(v == "notebooks/01-build-policy-panel.html" for v in meta.values())


def test_notebook_pages_are_readable_html_with_outputs(tmp_path):
    lay = Layout.at(tmp_path / "run")
    lay.notebooks.mkdir(parents=True)
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3", "language": "python",
                                                                           "display_name": "Python 3"}},
          "cells": [{"cell_type": "markdown", "id": "a", "metadata": {}, "source": "# Build the panel"},
                    {"cell_type": "code", "id": "b", "metadata": {}, "execution_count": 1, "source": "print(42)",
                     "outputs": [{"output_type": "stream", "name": "stdout", "text": "forty-two\n"}]}]}
    (lay.notebooks / "01-x.ipynb").write_text(json.dumps(nb))
    [page] = notebooks.write_pages(lay, tmp_path / "out", ["01-x"], say=lambda m: None)
    html = page.read_text()
    assert page == tmp_path / "out" / "notebooks" / "01-x.html"
    assert "Build the panel" in html and "forty-two" in html and "print" in html  # markdown, output, code
