"""Render the manuscript (manuscript/index.qmd) to self-contained HTML and a PDF.

Two engines, one result (`_manuscript/index.html` and `_manuscript/index.pdf`, or `<run>/manuscript/` for a
variant run):

* ``quarto`` -- `quarto render` of the root manuscript project (_quarto.yml), when Quarto is installed.
* ``pandoc`` -- the fallback built from Python wheels, so that every machine gets the paper: pandoc (from
  pypandoc_binary) with citeproc and a Lua filter (fedlocal/report/quarto.lua) implementing the subset of
  Quarto's syntax the manuscript uses, then Typst source compiled to PDF by the `typst` wheel.

Who resolves what in the fallback: `{{< include >}}` and `{{< var >}}` are text-level shortcodes, so a Python
pre-pass here replaces them before pandoc parses the file (an included table must be parsed as a table).
Root-relative paths, numbered figure/table captions and @fig-/@tbl- cross-references need the document tree
and are done by the Lua filter.

The colophon quotes the run that made the outputs (commit, dates, parameters, data source): `run.*` variables
derived here from the run's manifest.json and merged into the variables the manuscript sees; the pipeline's
_variables.yml stays free of dates, so identical runs still write identical files.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import yaml

from fedlocal import FedlocalError, paths
from fedlocal.paths import Layout

ARTICLE = paths.MANUSCRIPT / "index.qmd"
BIBLIOGRAPHY = paths.MANUSCRIPT / "references.bib"
QUARTO_PROJECT = paths.ROOT / "_quarto.yml"
QUARTO_OUTPUT_DIR = "_manuscript"  # Quarto's default for manuscript projects (also set in _quarto.yml)
REPORT_FILES = Path(__file__).resolve().parent / "report"
LUA_FILTER = REPORT_FILES / "quarto.lua"
HTML_CSS = REPORT_FILES / "manuscript.css"
TYPST_HEADER = REPORT_FILES / "manuscript-header.typ"

TYPST_PAGE_KEYS = ("papersize", "margin", "fontsize")  # keys shared by Quarto's typst format and pandoc's template
SHORTCODE = re.compile(r"\{\{<\s*([\w-]+)\s*(.*?)\s*>\}\}")
IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
LABEL_DEFINED = re.compile(r"\{#((?:fig|tbl)-[\w-]+)")
LABEL_REFERENCED = re.compile(r"(?<![\w@])@((?:fig|tbl)-[\w-]*\w)")
CITATION = re.compile(r"(?<![\w@./])@\{?([A-Za-z][\w:.#$%&+?<>~/-]*\w)")


class RenderError(FedlocalError):
    """The manuscript cannot be rendered: a missing output, variable, tool, or an engine failure."""


# --- what the manuscript uses (shared with the contract tests) -------------------------------------------

def _body(text: str) -> str:
    """The text without code spans, so that documented examples of syntax are not taken for uses."""
    return re.sub(r"`[^`\n]*`", "", text)


def variable_keys(text: str) -> list[str]:
    """Every `{{< var key >}}` key, in order of first use."""
    keys = [arg for name, arg in SHORTCODE.findall(_body(text)) if name == "var"]
    return list(dict.fromkeys(keys))


def included_paths(text: str) -> list[str]:
    """Every `{{< include path >}}` path as written."""
    return list(dict.fromkeys(arg for name, arg in SHORTCODE.findall(_body(text)) if name == "include"))


def image_paths(text: str) -> list[str]:
    return list(dict.fromkeys(IMAGE.findall(_body(text))))


def labels_defined(text: str) -> list[str]:
    """Figure/table labels defined (`{#fig-x}`, `::: {#tbl-x}`), with repeats kept so duplicates show."""
    return LABEL_DEFINED.findall(_body(text))


def labels_referenced(text: str) -> list[str]:
    return list(dict.fromkeys(LABEL_REFERENCED.findall(_body(text))))


def citation_keys(text: str) -> list[str]:
    """Bibliographic citation keys (`[@key]`, `@key`), excluding cross-references and e-mail addresses."""
    body = _body(re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S))
    body = SHORTCODE.sub("", body)
    keys = [k for k in CITATION.findall(body) if not re.match(r"(fig|tbl)-", k)]
    return list(dict.fromkeys(keys))


def lookup(variables: dict, key: str) -> Any:
    """`a.b.c` in nested variables (Quarto's var semantics); KeyError if absent."""
    value: Any = variables
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            raise KeyError(key)
        value = value[part]
    if isinstance(value, (dict, list)):
        raise KeyError(key)
    return value


def output_path(layout: Layout, path: str) -> Path:
    """A root-relative manuscript path (`/figures/x.png`, `/tables/x.md`) in a run's layout."""
    rel = path.lstrip("/")
    head = rel.split("/", 1)[0]
    if head in ("figures", "tables", "data"):
        return layout.resolve(rel)
    return paths.ROOT / rel


# --- the run's variables, with the colophon ---------------------------------------------------------------

def _stamp(iso: str | None) -> str:
    if not iso:
        return "unknown"
    try:
        t = dt.datetime.fromisoformat(iso).astimezone(dt.timezone.utc)
    except ValueError:
        return str(iso)
    return t.strftime("%Y-%m-%d %H:%M UTC")


def colophon_variables(manifest: dict) -> dict[str, str]:
    """The `run` namespace quoted by the colophon, from a run's manifest.json (all strings)."""
    p = manifest.get("params") or {}
    source = manifest.get("ncvs_source") or p.get("ncvs_source") or "unknown"
    commit = manifest.get("git_commit")
    planted = p.get("planted_odds_ratios") or {}
    planted_text = "; ".join(f"{pol} x {grp}: {odds:g}" for pol, row in sorted(planted.items())
                             for grp, odds in sorted(row.items())) or "none (all 1.0)"
    if source != "synthetic":  # the planted_odds_ratios parameter only shapes the simulation
        planted_text = "none (real survey data: nothing is planted)"
    if source == "synthetic":
        data_source = (f"synthetic NCVS person-interview panel simulated by the pipeline (seed {p.get('seed')}, "
                       f"scale {p.get('scale')}); all other inputs are real public data")
    elif source == "restricted":
        data_source = "restricted county-identified NCVS file (Census Federal Statistical Research Data Center)"
    else:
        data_source = str(source)
    versions = manifest.get("versions") or {}
    return {
        "run_name": str(manifest.get("run_name", "unknown")),
        "commit": commit[:12] if commit else "unknown (not run from a git checkout)",
        "tree": "with uncommitted changes" if manifest.get("git_dirty") else "clean",
        "params_file": str(manifest.get("params_file", "unknown")),
        "params_sha256": str(manifest.get("params_sha256", "unknown"))[:12],
        "overrides": ", ".join(manifest.get("overrides") or []) or "none",
        "started": _stamp(manifest.get("started")),
        "finished": _stamp(manifest.get("finished")),
        "ncvs_source": str(source),
        "data_source": data_source,
        "seed": str(p.get("seed", "unknown")),
        "scale": str(p.get("scale", "unknown")),
        "exposure_rule": str(p.get("exposure_rule", "unknown")),
        "planted": planted_text,
        "python": str(versions.get("python", "unknown")),
        "platform": str(manifest.get("platform", "unknown")),
    }


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


def check_inputs(text: str, layout: Layout, variables: dict) -> None:
    """Every variable, include and figure the manuscript uses exists; one message naming all that do not."""
    problems = []
    for key in variable_keys(text):
        try:
            lookup(variables, key)
        except KeyError:
            problems.append(f"variable {key!r} (used as {{{{< var {key} >}}}}) is not in "
                            f"{paths.relative_to_root(layout.variables_file)}")
    for p in included_paths(text) + image_paths(text):
        if not output_path(layout, p).is_file():
            problems.append(f"{p} (included by the manuscript) does not exist at "
                            f"{paths.relative_to_root(output_path(layout, p))}")
    if problems:
        raise RenderError("the manuscript refers to outputs this run does not have; run the stage that writes "
                          "them (`fedlocal run`) or fix manuscript/index.qmd:\n  - " + "\n  - ".join(problems))


# --- the fallback engine's pre-pass ----------------------------------------------------------------------

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
            return str(lookup(variables, arg))
        except KeyError:
            raise RenderError(f"{{{{< var {arg} >}}}}: no variable {arg!r} in "
                              f"{paths.relative_to_root(layout.variables_file)}") from None

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


# --- engines ------------------------------------------------------------------------------------------------

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


def _replace(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dest)


def render_pandoc(layout: Layout, out_dir: Path, variables: dict, say: Callable[[str], None] = print,
                  article: Path = ARTICLE, bibliography: Path = BIBLIOGRAPHY) -> dict[str, Path]:
    """The fallback engine: pre-pass, pandoc + Lua filter + citeproc to HTML and Typst, typst to PDF."""
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
        common = ["index.md", "--from", "markdown", "--lua-filter", str(LUA_FILTER), "--citeproc",
                  "--bibliography", str(bibliography), "--metadata", "link-citations=true", "--resource-path", ".",
                  "--columns", "1000"]  # wide pipe tables keep natural column widths (no relative widths)

        t0 = time.monotonic()
        say("  pandoc: markdown -> self-contained HTML ...")
        _pandoc(common + ["--to", "html5", "--standalone", "--embed-resources", "--mathml", "--toc",
                          "--css", str(HTML_CSS), "--output", "index.html"], build)
        say(f"  pandoc: HTML done in {time.monotonic() - t0:.1f} s")

        t0 = time.monotonic()
        say("  pandoc: markdown -> Typst ...")
        (build / "typst-page.yml").write_text(yaml.safe_dump(typst_page()))
        _pandoc(common + ["--to", "typst", "--standalone", "--include-in-header", str(TYPST_HEADER),
                          "--metadata-file", "typst-page.yml", "--output", "index.typ"], build)
        say("  typst: compiling the PDF ...")
        try:
            typst.compile(str(build / "index.typ"), output=str(build / "index.pdf"), root=str(build))
        except Exception as err:  # typst raises its own error type with the Typst diagnostics
            raise RenderError(f"typst could not compile the PDF: {err}") from None
        say(f"  typst: PDF done in {time.monotonic() - t0:.1f} s")

        out = {"html": out_dir / "index.html", "pdf": out_dir / "index.pdf"}
        _replace(build / "index.html", out["html"])
        _replace(build / "index.pdf", out["pdf"])
    return out


def render_quarto(layout: Layout, out_dir: Path, variables: dict, canonical: bool,
                  say: Callable[[str], None] = print) -> dict[str, Path]:
    """`quarto render` of the manuscript project; its output is shown as it comes.

    In place at the repository root when the canonical _variables.yml already holds every variable the
    manuscript quotes; otherwise (a variant run, or the colophon's `run.*` variables only in the manifest) the
    project is staged in a temporary folder with the run's figures, tables and variables, so the repository's
    files are never modified.
    """
    quarto = shutil.which("quarto")
    if quarto is None:
        raise RenderError("--engine quarto: `quarto` is not on PATH; install Quarto (quarto.org) or use "
                          "--engine pandoc (the fallback renderer)")
    text = ARTICLE.read_text()
    check_inputs(text, layout, variables)
    file_vars = yaml.safe_load(layout.variables_file.read_text()) or {}
    in_place = canonical and all(_has(file_vars, k) for k in variable_keys(text))
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
        res = subprocess.run([quarto, "render"], cwd=project)
        if res.returncode != 0:
            raise RenderError(f"quarto render failed (exit code {res.returncode}); its messages are above")
        built = project / QUARTO_OUTPUT_DIR
        out = {}
        for kind in ("html", "pdf"):
            found = sorted(built.rglob(f"{ARTICLE.stem}.{kind}"), key=lambda p: len(p.parts))
            if not found:
                raise RenderError(f"quarto render finished but wrote no {ARTICLE.stem}.{kind} under {QUARTO_OUTPUT_DIR}/")
            out[kind] = out_dir / f"index.{kind}"
            if found[0].resolve() != out[kind].resolve():
                _replace(found[0], out[kind])
    return out


def _has(variables: dict, key: str) -> bool:
    try:
        lookup(variables, key)
        return True
    except KeyError:
        return False


def render(engine: str = "auto", run_dir: str | os.PathLike | None = None,
           say: Callable[[str], None] = print, article: Path | None = None) -> dict[str, Path]:
    """Render the manuscript; returns {'html': path, 'pdf': path}.

    engine: 'auto' (Quarto if on PATH, else the fallback), 'quarto' or 'pandoc'.
    run_dir: a run folder (variant or CI run, laid out as fedlocal.paths.Layout.at) whose figures, tables and
    _variables.yml the manuscript uses; the result goes to <run_dir>/manuscript/. Default: the canonical outputs,
    rendered to _manuscript/. article: another .qmd (with references.bib beside it) for the fallback engine;
    the tests use it to render a small manuscript that exercises every feature.
    """
    if engine not in ("auto", "quarto", "pandoc"):
        raise RenderError(f"unknown engine {engine!r}: use auto, quarto or pandoc")
    if run_dir is None:
        layout, out_dir = Layout.canonical(), paths.ROOT / QUARTO_OUTPUT_DIR
    else:
        root = Path(run_dir).resolve()
        if not root.is_dir():
            raise RenderError(f"run folder {run_dir} does not exist")
        layout, out_dir = Layout.at(root), root / "manuscript"
    if engine == "auto":
        engine = "quarto" if shutil.which("quarto") else "pandoc"
    elif engine == "quarto" and shutil.which("quarto") is None:
        raise RenderError("--engine quarto: `quarto` is not on PATH; install Quarto (quarto.org) or use "
                          "--engine pandoc (the fallback renderer)")
    t0 = time.monotonic()
    where = "canonical outputs" if run_dir is None else paths.relative_to_root(Path(run_dir).resolve())
    say(f"render: manuscript/index.qmd with {where} using "
        + ("Quarto" if engine == "quarto" else "the fallback engine (pandoc + Lua filter + citeproc, typst)"))
    variables = run_variables(layout)
    if engine == "quarto":
        if article is not None:
            raise RenderError("a different article can only be rendered with the fallback engine (--engine pandoc)")
        out = render_quarto(layout, out_dir, variables, canonical=run_dir is None, say=say)
    else:
        out = render_pandoc(layout, out_dir, variables, say=say, article=Path(article or ARTICLE),
                            bibliography=Path(article).with_name("references.bib") if article else BIBLIOGRAPHY)
    say(f"render: wrote {paths.relative_to_root(out['html'])} and {paths.relative_to_root(out['pdf'])} "
        f"in {time.monotonic() - t0:.1f} s")
    return out
