"""Render the manuscript (manuscript/index.qmd) to self-contained HTML and a PDF.

Two engines, one result (`_manuscript/index.html` and `_manuscript/index.pdf`, or `<run>/manuscript/` for a
variant run):

* ``quarto`` -- `quarto render` of the root manuscript project (_quarto.yml), when Quarto is installed.
* ``pandoc`` -- the fallback built from Python wheels, so that every machine gets the paper: pandoc (from
  pypandoc_binary) with citeproc and a Lua filter (quarto.lua, beside this file) implementing the subset of
  Quarto's syntax the manuscript uses, then Typst source compiled to PDF by the `typst` wheel.

project   where the manuscript lives, and the error every part raises
scan      what the article uses (variables, includes, images, labels, citations) and whether a run has it
colophon  the `run.*` variables quoted by the colophon, from the run's manifest
fallback  the pandoc + Lua filter + typst engine
quarto    the Quarto engine
engine    `render()`: pick the engine and the run, render
"""

from fedlocal.manuscript.engine import render
from fedlocal.manuscript.project import RenderError

__all__ = ["RenderError", "render"]
