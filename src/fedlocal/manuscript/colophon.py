"""The colophon quotes the run that made the outputs (commit, dates, parameters, data source).

Its `run.*` variables come from the run's manifest.json (runner.manifest.colophon_variables). The pipeline writes
them into _variables.yml, so a plain `quarto render` sees them; the stages' own variables/<namespace>.yml stay
free of dates, so identical runs still write identical numbers. A variables file without them (an older run) gets
them here from its manifest.
"""

from __future__ import annotations

import json

import yaml

from fedlocal import paths
from fedlocal.manuscript.project import RenderError
from fedlocal.paths import Layout
from fedlocal.runner.manifest import colophon_variables

__all__ = ["colophon_variables", "run_variables"]


def run_variables(layout: Layout) -> dict:
    """The pipeline's merged variables plus the `run` colophon namespace from the run's manifest."""
    if not layout.variables_file.is_file():
        raise RenderError(f"no variables file {paths.relative_to_root(layout.variables_file)}: run the pipeline "
                          f"first (`fedlocal run`), which writes every number the manuscript quotes.")
    variables = yaml.safe_load(layout.variables_file.read_text()) or {}
    if "run" not in variables:
        if not layout.manifest.is_file():
            raise RenderError(f"no run manifest {paths.relative_to_root(layout.manifest)} (the colophon quotes it): "
                              f"run the pipeline first (`fedlocal run`).")
        variables["run"] = colophon_variables(json.loads(layout.manifest.read_text()))
    return variables
