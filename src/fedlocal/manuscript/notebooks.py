"""Which executed notebook made each figure and table, and readable pages of those notebooks.

The map comes from pipeline.yaml (stage -> outputs, stage -> notebook) and the article (label -> the file it
shows). Both engines pass it to manuscript/notebook-links.lua as metadata (`fedlocal-notebook-<label>`), which
links each caption to the notebook's page; the pages are the executed notebooks converted by pandoc.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import yaml

from fedlocal import paths
from fedlocal.manuscript.project import HTML_CSS, RenderError
from fedlocal.paths import Layout

FIGURE = re.compile(r"!\[[^\]]*\]\((/[^)\s]+)\)\{#(fig-[\w-]+)\}", re.S)
TABLE = re.compile(r"^::: \{#(tbl-[\w-]+)\}\n\{\{< include (/\S+) >\}\}", re.M)
PAGES = "notebooks"  # folder of the notebook pages, beside the rendered index.html


def float_outputs(text: str) -> dict[str, str]:
    """Figure/table label -> the pipeline output it shows ('fig-x' -> 'figures/x.png')."""
    found = {label: path for path, label in FIGURE.findall(text)}
    found.update({label: path for label, path in TABLE.findall(text)})
    return {label: path.lstrip("/") for label, path in found.items()}


def output_notebooks(pipeline_file: Path = paths.PIPELINE_FILE) -> dict[str, str]:
    """Declared output -> the stem of the notebook whose stage writes it (pipeline.yaml)."""
    stages = (yaml.safe_load(Path(pipeline_file).read_text()) or {}).get("stages") or []
    return {o: Path(s["notebook"]).stem for s in stages for o in s.get("outputs") or []}


def float_notebooks(text: str, pipeline_file: Path = paths.PIPELINE_FILE) -> dict[str, str]:
    """Figure/table label -> stem of the notebook that made it, for every float whose file a stage declares."""
    by_output = output_notebooks(pipeline_file)
    return {label: by_output[out] for label, out in float_outputs(text).items() if out in by_output}


def link_metadata(text: str, layout: Layout) -> dict[str, str]:
    """The metadata the Lua filter reads: `fedlocal-notebook-<label>` -> the page of its executed notebook.

    Empty when the run has no executed notebooks (nothing to link to)."""
    return {f"fedlocal-notebook-{label}": f"{PAGES}/{stem}.html" for label, stem in float_notebooks(text).items()
            if (layout.notebooks / f"{stem}.ipynb").is_file()}


def write_pages(layout: Layout, out_dir: Path, stems: list[str], say: Callable[[str], None] = print) -> list[Path]:
    """Each executed notebook as a self-contained HTML page (pandoc's ipynb reader), under out_dir/notebooks/."""
    import pypandoc

    written = []
    for stem in sorted(set(stems)):
        source = layout.notebooks / f"{stem}.ipynb"
        target = out_dir / PAGES / f"{stem}.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".html.tmp")
        res = subprocess.run([pypandoc.get_pandoc_path(), str(source), "--from", "ipynb", "--to", "html5",
                              "--standalone", "--embed-resources", "--css", str(HTML_CSS), "--metadata", f"title=Notebook {stem}",
                              "--output", str(tmp)], capture_output=True, text=True)
        if res.returncode != 0:
            raise RenderError(f"pandoc could not convert {paths.relative_to_root(source)} to HTML:\n{res.stderr.strip()}")
        tmp.replace(target)
        written.append(target)
    say(f"  notebooks: {len(written)} executed notebook(s) as pages in {paths.relative_to_root(out_dir / PAGES)}/")
    return written
