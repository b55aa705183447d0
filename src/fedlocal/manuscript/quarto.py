"""The Quarto engine: `quarto render` of the root manuscript project, when Quarto is installed."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import yaml

from fedlocal import paths
from fedlocal.manuscript.project import ARTICLE, QUARTO_OUTPUT_DIR, QUARTO_PROJECT, RenderError
from fedlocal.manuscript.scan import check_inputs, has, variable_keys
from fedlocal.paths import Layout

FORMATS = ("html", "pdf", "docx")  # _quarto.yml's formats; Quarto's HTML links the other two ("Other Formats")
NOT_INSTALLED = ("--engine quarto: `quarto` is not on PATH; install Quarto (quarto.org) or use "
                 "--engine pandoc (the fallback renderer)")


def render_quarto(layout: Layout, out_dir: Path, variables: dict, canonical: bool,
                  say: Callable[[str], None] = print, metadata: dict[str, str] | None = None) -> dict[str, Path]:
    """`quarto render` of the manuscript project; its output is shown as it comes.

    In place at the repository root when the canonical _variables.yml already holds every variable the
    manuscript quotes; otherwise (a variant run, or the colophon's `run.*` variables only in the manifest) the
    project is staged in a temporary folder with the run's figures, tables and variables, so the repository's
    files are never modified.
    """
    quarto = shutil.which("quarto")
    if quarto is None:
        raise RenderError(NOT_INSTALLED)
    text = ARTICLE.read_text()
    check_inputs(text, layout, variables)
    file_vars = yaml.safe_load(layout.variables_file.read_text()) or {}
    in_place = canonical and all(has(file_vars, k) for k in variable_keys(text))
    with tempfile.TemporaryDirectory(prefix="fedlocal-quarto-") as tmp:
        if in_place:
            project = paths.ROOT
        else:
            project = Path(tmp)
            shutil.copyfile(QUARTO_PROJECT, project / "_quarto.yml")
            shutil.copytree(paths.MANUSCRIPT, project / "manuscript")
            shutil.copytree(layout.figures, project / "figures")
            shutil.copytree(layout.tables, project / "tables")
            (project / "_variables.yml").write_text(yaml.safe_dump(variables, sort_keys=True, allow_unicode=True))
        say(f"  quarto render ({'repository root' if in_place else 'staged copy of the project with this run'}) ...")
        extra = [a for k, v in (metadata or {}).items() for a in ("-M", f"{k}:{v}")]
        res = subprocess.run([quarto, "render", *extra], cwd=project)
        if res.returncode != 0:
            raise RenderError(f"quarto render failed (exit code {res.returncode}); its messages are above")
        built = project / QUARTO_OUTPUT_DIR
        out = {}
        for kind in FORMATS:
            found = sorted(built.rglob(f"{ARTICLE.stem}.{kind}"), key=lambda p: len(p.parts))
            if not found:
                raise RenderError(f"quarto render finished but wrote no {ARTICLE.stem}.{kind} "
                                  f"under {QUARTO_OUTPUT_DIR}/")
            out[kind] = out_dir / f"index.{kind}"
            if found[0].resolve() != out[kind].resolve():
                paths.write_atomic(out[kind], found[0].read_bytes())
    return out
