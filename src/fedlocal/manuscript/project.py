"""Where the manuscript project lives (in the repository) and its engines' assets (in this package)."""

from __future__ import annotations

from pathlib import Path

from fedlocal import FedlocalError, paths

ARTICLE = paths.MANUSCRIPT / "index.qmd"
BIBLIOGRAPHY = paths.MANUSCRIPT / "references.bib"
QUARTO_PROJECT = paths.ROOT / "_quarto.yml"
# Shared by both engines, so they live in the Quarto project (named in _quarto.yml) rather than in this package:
TYPST_TABLES = paths.MANUSCRIPT / "tables.typ"  # the PDF's table style (breakable floats, small sans-serif cells)
COLUMN_WIDTHS_FILTER = paths.MANUSCRIPT / "column-widths.lua"  # columns sized to their content
NOTEBOOK_LINKS_FILTER = paths.MANUSCRIPT / "notebook-links.lua"  # captions link to the notebook that made them
QUARTO_OUTPUT_DIR = "_manuscript"  # Quarto's default for manuscript projects (also set in _quarto.yml)
ASSETS = Path(__file__).resolve().parent  # installed with the package (pyproject package-data)
LUA_FILTER = ASSETS / "quarto.lua"
HTML_CSS = ASSETS / "manuscript.css"
TYPST_HEADER = ASSETS / "manuscript-header.typ"


class RenderError(FedlocalError):
    """The manuscript cannot be rendered: a missing output, variable, tool, or an engine failure."""
