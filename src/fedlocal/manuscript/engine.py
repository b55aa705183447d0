"""`render()`: pick the engine and the run whose outputs the manuscript shows, and render it."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from fedlocal import paths
from fedlocal.manuscript import notebooks
from fedlocal.manuscript.colophon import run_variables
from fedlocal.manuscript.fallback import render_pandoc
from fedlocal.manuscript.project import ARTICLE, BIBLIOGRAPHY, QUARTO_OUTPUT_DIR, RenderError
from fedlocal.manuscript.quarto import NOT_INSTALLED, render_quarto
from fedlocal.paths import Layout
from fedlocal.runner.run import incomplete_stages

ENGINES = ("auto", "quarto", "pandoc")


def render(engine: str = "auto", run_dir: str | os.PathLike | None = None,
           say: Callable[[str], None] = print, article: Path | None = None) -> dict[str, Path]:
    """Render the manuscript; returns {'html': path, 'pdf': path, 'docx': path}.

    engine: 'auto' (Quarto if on PATH, else the fallback), 'quarto' or 'pandoc'.
    run_dir: a run folder (variant or CI run, laid out as fedlocal.paths.Layout.at) whose figures, tables and
    _variables.yml the manuscript uses; the result goes to <run_dir>/manuscript/. Default: the canonical outputs,
    rendered to _manuscript/. article: another .qmd (with references.bib beside it) for the fallback engine;
    the tests use it to render a small manuscript that exercises every feature.
    """
    if engine not in ENGINES:
        raise RenderError(f"unknown engine {engine!r}: use auto, quarto or pandoc")
    if run_dir is None:
        layout, out_dir = Layout.canonical(), paths.ROOT / QUARTO_OUTPUT_DIR
    else:
        root = Path(run_dir).resolve()
        if not root.is_dir():
            raise RenderError(f"run folder {run_dir} does not exist")
        layout, out_dir = Layout.at(root), root / "manuscript"
    problems = incomplete_stages(layout)
    if problems:
        where = "the canonical outputs" if run_dir is None else paths.relative_to_root(Path(run_dir).resolve())
        raise RenderError(f"{where} are not one whole run (a run failed, was interrupted or mixed with another): "
                          + "; ".join(problems) + ". Rerun it to completion (`fedlocal run` with its parameters), "
                          "then render.")
    if engine == "auto":
        engine = "quarto" if shutil.which("quarto") else "pandoc"
    elif engine == "quarto" and shutil.which("quarto") is None:
        raise RenderError(NOT_INSTALLED)
    t0 = time.monotonic()
    where = "canonical outputs" if run_dir is None else paths.relative_to_root(Path(run_dir).resolve())
    say(f"render: manuscript/index.qmd with {where} using "
        + ("Quarto" if engine == "quarto" else "the fallback engine (pandoc + Lua filter + citeproc, typst)"))
    variables = run_variables(layout)
    text = Path(article or ARTICLE).read_text()
    links = notebooks.link_metadata(text, layout)
    if engine == "quarto":
        if article is not None:
            raise RenderError("a different article can only be rendered with the fallback engine (--engine pandoc)")
        out = render_quarto(layout, out_dir, variables, canonical=run_dir is None, say=say, metadata=links)
    else:
        out = render_pandoc(layout, out_dir, variables, say=say, article=Path(article or ARTICLE),
                            bibliography=Path(article).with_name("references.bib") if article else BIBLIOGRAPHY,
                            metadata=links)
    if links:
        notebooks.write_pages(layout, out_dir, [Path(v).stem for v in links.values()], say=say)
    say(f"render: wrote {', '.join(paths.relative_to_root(p) for p in out.values())} "
        f"in {time.monotonic() - t0:.1f} s")
    return out
