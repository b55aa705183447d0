"""The Quarto engine, with a real Quarto: run whenever `quarto` is on PATH, skipped (with the reason) otherwise.

Two ways readers render the paper must both work and agree: a plain `quarto render` at the project root
(reads only the root _variables.yml) and `fedlocal render --engine quarto`. Neither may warn about an unknown
variable (a hole `?var:...` in the paper) or fetch anything from the network (a web font).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fedlocal import paths
from fedlocal.manuscript import notebooks
from fedlocal.manuscript.project import ARTICLE, QUARTO_OUTPUT_DIR

pytestmark = pytest.mark.skipif(shutil.which("quarto") is None,
                                reason="`quarto` is not on PATH: the Quarto engine is untested here "
                                       "(install Quarto 1.11 and rerun to test it)")

# What a render needs from the repository: the project file, the article, the pipeline's canonical outputs.
PROJECT_PARTS = ("_quarto.yml", "_variables.yml", "manuscript", "figures", "tables", "results/notebooks")

BAD_MESSAGES = re.compile(r"Unknown var|Could not fetch resource|Invalid Shortcode|\?var:", re.I)


def _copy_project(dest: Path) -> None:
    for part in PROJECT_PARTS:
        src = paths.ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part)
        elif src.is_file():
            (dest / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest / part)


@pytest.fixture(scope="module")
def plain_render(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """`quarto render` in a copy of the project root, exactly as a reader would run it."""
    root = tmp_path_factory.mktemp("quarto-root")
    _copy_project(root)
    res = subprocess.run(["quarto", "render"], cwd=root, capture_output=True, text=True)
    return res, root / QUARTO_OUTPUT_DIR


def _html(out: Path) -> str:
    found = sorted(out.rglob(f"{ARTICLE.stem}.html"), key=lambda p: len(p.parts))
    assert found, f"no {ARTICLE.stem}.html under {out}"
    return found[0].read_text()


def test_plain_quarto_render_at_the_root_exits_0_without_warnings(plain_render):
    res, out = plain_render
    log = res.stdout + res.stderr
    assert res.returncode == 0, log[-3000:]
    assert not BAD_MESSAGES.findall(log), [line for line in log.splitlines() if BAD_MESSAGES.search(line)][:10]
    assert {p.name for p in out.rglob("index.*")} >= {"index.html", "index.pdf", "index.docx"}


def test_plain_quarto_render_resolves_every_variable_and_citation(plain_render):
    html = _html(plain_render[1])
    assert "?var:" not in html  # (a "?@" can occur in the embedded scripts; citations are checked below)
    assert "fonts.googleapis.com" not in html, "the HTML asks for a web font"
    assert 'index.pdf"' in html and 'index.docx"' in html, "Other formats: PDF and DOCX linked from the HTML"
    assert re.search(r'index\.pdf"><i class="bi bi-file-pdf"></i>PDF<', html), "the PDF link is labelled PDF"
    assert re.search(r'index\.docx"><i class="bi bi-file-word"></i>Word \(DOCX\)<', html)
    assert "Baumer" in html and re.search(r"Baumer (and|&amp;) Xie,? \(?2023", html), "author-year citations"
    # a wide table spreads over the page instead of hiding its last columns behind a scroll bar
    assert re.search(r'<div id="tbl-policy-coverage"[^>]*column-page', html), "table 1 kept in the text column"


def test_fedlocal_render_with_quarto_exits_0_without_warnings():
    res = subprocess.run([sys.executable, "-m", "fedlocal", "render", "--engine", "quarto"], cwd=paths.ROOT,
                         capture_output=True, text=True)
    log = res.stdout + res.stderr
    assert res.returncode == 0, log[-3000:]
    assert "repository root" in log, "the canonical outputs are complete: Quarto renders in place"
    assert not BAD_MESSAGES.findall(log), [line for line in log.splitlines() if BAD_MESSAGES.search(line)][:10]
    html = (paths.ROOT / QUARTO_OUTPUT_DIR / "index.html").read_text()
    assert "?var:" not in html
    assert (paths.ROOT / QUARTO_OUTPUT_DIR / "index.docx").is_file()
    # every figure and table links to the page of the executed notebook that made it; the pages exist
    links = re.findall(r'Notebook: <a href="(notebooks/[\w-]+\.html)"', html)
    expected = notebooks.float_notebooks(ARTICLE.read_text())
    assert len(links) >= len(expected) and set(links) == {f"notebooks/{s}.html" for s in expected.values()}
    assert all((paths.ROOT / QUARTO_OUTPUT_DIR / link).is_file() for link in set(links))


def test_quarto_pdf_cites_author_year_with_references_before_the_colophon(plain_render):
    from pypdf import PdfReader

    res, out = plain_render
    pdf = sorted(out.rglob("index.pdf"), key=lambda p: len(p.parts))[0]
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(pdf).pages))
    assert re.search(r"Baumer and Xie \(?2023", text), "author-year citations in the Typst PDF"
    assert text.rindex("Hausman") < text.rindex("Colophon"), "references where ::: {#refs} puts them"
