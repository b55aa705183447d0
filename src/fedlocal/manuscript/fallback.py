"""The fallback engine: pandoc (pypandoc_binary) + citeproc + a Lua filter to HTML and Typst, typst to PDF.

Who resolves what: `{{< include >}}` and `{{< var >}}` are text-level shortcodes, so a Python pre-pass here
replaces them before pandoc parses the file (an included table must be parsed as a table). Root-relative
paths, numbered figure/table captions and @fig-/@tbl- cross-references need the document tree and are done
by the Lua filter (quarto.lua).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from fedlocal import paths
from fedlocal.manuscript.project import (
    ARTICLE,
    BIBLIOGRAPHY,
    COLUMN_WIDTHS_FILTER,
    HTML_CSS,
    LUA_FILTER,
    NOTEBOOK_LINKS_FILTER,
    QUARTO_PROJECT,
    TYPST_HEADER,
    TYPST_TABLES,
    RenderError,
)
from fedlocal.manuscript.scan import SHORTCODE, check_inputs, image_paths, lookup, output_path
from fedlocal.paths import Layout

# Quarto's manuscript HTML links its other formats; the fallback's HTML does the same (files beside it).
OTHER_FORMATS = ('<nav class="other-formats" aria-label="Other formats">Other formats: '
                 '<a href="index.pdf">PDF</a> · <a href="index.docx">Word (DOCX)</a></nav>\n')
TYPST_PAGE_KEYS = ("papersize", "margin", "fontsize")  # keys shared by Quarto's typst format and pandoc's template


def _today() -> str:
    d = dt.date.today()
    return f"{d:%B} {d.day}, {d.year}"


def resolve_shortcodes(text: str, layout: Layout, variables: dict) -> str:
    """Replace `{{< include >}}` (first: included files may quote variables) and `{{< var >}}` in the text."""

    def include(m: re.Match) -> str:
        if m.group(1) != "include":
            return m.group(0)
        path = output_path(layout, m.group(2))
        if not path.is_file():
            raise RenderError(f"{{{{< include {m.group(2)} >}}}}: {paths.relative_to_root(path)} does not exist")
        return path.read_text().rstrip("\n")

    def var(m: re.Match) -> str:
        name, arg = m.group(1), m.group(2)
        if name != "var":
            raise RenderError(f"shortcode {{{{< {name} {arg} >}}}} is not supported by the fallback renderer; "
                              f"use include or var (or render with Quarto)")
        try:
            value = lookup(variables, arg)
        except KeyError:
            raise RenderError(f"{{{{< var {arg} >}}}}: no variable {arg!r} in "
                              f"{paths.relative_to_root(layout.variables_file)}") from None
        if value is None:
            raise RenderError(f"{{{{< var {arg} >}}}}: variable {arg!r} is null in "
                              f"{paths.relative_to_root(layout.variables_file)}")
        return str(value)

    text = SHORTCODE.sub(include, text)
    text = SHORTCODE.sub(var, text)
    # Quarto's `date: today` in the front matter.
    return re.sub(r"(?m)\A(---\n(?:.*\n)*?)date:\s*today\s*\n", lambda m: f"{m.group(1)}date: \"{_today()}\"\n",
                  text, count=1)


def typst_page(project: Path = QUARTO_PROJECT) -> dict:
    """The page settings of _quarto.yml's typst format (paper, margins, font size) for pandoc's Typst template.

    One place sets the page for both engines: Quarto reads them itself; the fallback passes them as metadata.
    """
    fmt = ((yaml.safe_load(Path(project).read_text()) or {}).get("format") or {}).get("typst") or {}
    return {k: fmt[k] for k in TYPST_PAGE_KEYS if k in fmt}


def _pandoc(args: list[str], cwd: Path) -> None:
    import pypandoc

    exe = pypandoc.get_pandoc_path()
    res = subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True)
    warnings = [line for line in res.stderr.splitlines() if line.strip()]
    if res.returncode != 0:
        raise RenderError("pandoc failed:\n" + res.stderr.strip())
    fatal = [w for w in warnings if "citation" in w.lower() and "not found" in w.lower()]
    if fatal:
        raise RenderError("citation key(s) missing from manuscript/references.bib:\n" + "\n".join(fatal))
    for w in warnings:
        print(f"  pandoc: {w}", flush=True)


def render_pandoc(layout: Layout, out_dir: Path, variables: dict, say: Callable[[str], None] = print,
                  article: Path = ARTICLE, bibliography: Path = BIBLIOGRAPHY,
                  metadata: dict[str, str] | None = None) -> dict[str, Path]:
    """The fallback engine: pre-pass, pandoc + Lua filter + citeproc to HTML and Typst, typst to PDF.

    metadata: extra metadata for the filters (the notebook links)."""
    import typst

    text = Path(article).read_text()
    check_inputs(text, layout, variables)
    with tempfile.TemporaryDirectory(prefix="fedlocal-render-") as tmp:
        build = Path(tmp)  # mirrors the project root, so root-relative paths resolve inside it
        for p in image_paths(text):
            dest = build / p.lstrip("/")
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(output_path(layout, p), dest)
        (build / "index.md").write_text(resolve_shortcodes(text, layout, variables))
        extra = [a for k, v in (metadata or {}).items() for a in ("--metadata", f"{k}={v}")]
        common = ["index.md", "--from", "markdown", *extra, "--lua-filter", str(NOTEBOOK_LINKS_FILTER),
                  "--lua-filter", str(LUA_FILTER),
                  "--lua-filter", str(COLUMN_WIDTHS_FILTER), "--citeproc",
                  "--bibliography", str(bibliography), "--metadata", "link-citations=true", "--resource-path", "."]

        t0 = time.monotonic()
        say("  pandoc: markdown -> self-contained HTML ...")
        (build / "other-formats.html").write_text(OTHER_FORMATS)
        _pandoc(common + ["--to", "html5", "--standalone", "--embed-resources", "--mathml", "--toc",
                          "--css", str(HTML_CSS), "--include-before-body", "other-formats.html",
                          "--output", "index.html"], build)
        say(f"  pandoc: HTML done in {time.monotonic() - t0:.1f} s")

        t0 = time.monotonic()
        say("  pandoc: markdown -> Typst ...")
        (build / "typst-page.yml").write_text(yaml.safe_dump(typst_page()))
        _pandoc(common + ["--to", "typst", "--standalone", "--include-in-header", str(TYPST_TABLES),
                          "--include-in-header", str(TYPST_HEADER),
                          "--metadata-file", "typst-page.yml", "--output", "index.typ"], build)
        say("  typst: compiling the PDF ...")
        try:
            typst.compile(str(build / "index.typ"), output=str(build / "index.pdf"), root=str(build))
        except Exception as err:  # typst raises its own error type with the Typst diagnostics
            raise RenderError(f"typst could not compile the PDF: {err}") from None
        say(f"  typst: PDF done in {time.monotonic() - t0:.1f} s")

        t0 = time.monotonic()
        _pandoc(common + ["--to", "docx", "--output", "index.docx"], build)
        say(f"  pandoc: DOCX done in {time.monotonic() - t0:.1f} s")

        out = {kind: out_dir / f"index.{kind}" for kind in ("html", "pdf", "docx")}
        for kind, path in out.items():
            paths.write_atomic(path, (build / f"index.{kind}").read_bytes())
    return out
