"""The fallback renderer (pandoc + Lua filter + citeproc, typst) turns a manuscript into HTML and PDF.

The fixture is a small run folder built here (a figure drawn with matplotlib, an included table, a variables
file, a manifest) and a short article that uses every Quarto feature the real manuscript uses, so the test
does not depend on the pipeline having run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib
import pytest
import yaml

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from fedlocal.manuscript import RenderError, render  # noqa: E402
from fedlocal.manuscript.colophon import colophon_variables  # noqa: E402
from fedlocal.manuscript.fallback import TYPST_PAGE_KEYS, typst_page  # noqa: E402
from fedlocal.manuscript.scan import check_inputs  # noqa: E402
from fedlocal.paths import Layout  # noqa: E402

ARTICLE = """---
title: "A small manuscript"
date: today
abstract: |
  Checks every feature of the fallback renderer.
bibliography: references.bib
---

# Introduction

Enforcement rose (@fig-rate-by-year) while the counts in @tbl-counts stayed flat [@baumer2023].
@hausman2020 found {{< var demo.effect >}} more, and the sample had {{< var demo.count >}} persons.
See also @tbl-second and @fig-second.

![Rates by year (synthetic).](/figures/rate-by-year.png){#fig-rate-by-year}

::: {#tbl-counts}
{{< include /tables/counts.md >}}

Counts by group (synthetic).
:::

![A second figure.](/figures/rate-by-year.png){#fig-second}

::: {#tbl-second}
{{< include /tables/counts.md >}}

The same counts again.
:::

# References {.unnumbered}

::: {#refs}
:::

# Colophon {.unnumbered}

Built from commit {{< var run.commit >}} with {{< var run.params_file >}}; data: {{< var run.data_source >}}.
"""

BIB = """@article{baumer2023,
  author = {Baumer, Eric P. and Xie, Min},
  title = {Federal-local partnerships on immigration law enforcement},
  journal = {Criminology \\& Public Policy},
  year = {2023},
  volume = {22},
  number = {3},
  pages = {417--455}
}
@article{hausman2020,
  author = {Hausman, David K.},
  title = {Sanctuary policies reduce deportations without increasing crime},
  journal = {Proceedings of the National Academy of Sciences},
  year = {2020},
  volume = {117},
  number = {44},
  pages = {27262--27267}
}
"""

MANIFEST = {"run_name": "fixture", "git_commit": "0123456789abcdef0123", "git_dirty": False,
            "params_file": "params/ci.yaml", "params_sha256": "ab" * 32, "overrides": [],
            "params": {"seed": 7, "scale": 0.01, "ncvs_source": "synthetic", "exposure_rule": "any",
                       "planted_odds_ratios": {"sc": {"latino": 1.2}}},
            "ncvs_source": "synthetic", "started": "2026-01-02T03:04:05+00:00",
            "finished": "2026-01-02T03:09:00+00:00", "versions": {"python": "3.11.9"}, "stages": {}}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("run")
    lay = Layout.at(root)
    lay.figures.mkdir(parents=True)
    lay.tables.mkdir(parents=True)
    fig, ax = plt.subplots(figsize=(5, 2.5))
    ax.plot([2005, 2010, 2014], [1.2, 0.9, 0.8], marker="o")
    ax.set_title("Rate by year (synthetic)")
    fig.savefig(lay.figures / "rate-by-year.png", dpi=100)
    plt.close(fig)
    (lay.tables / "counts.md").write_text("| group | persons |\n|:---|---:|\n| Latino | 1,234 |\n| white | 5,678 |\n")
    lay.variables_file.write_text(yaml.safe_dump({"demo": {"effect": "17.3", "count": "354,321"}}))
    lay.manifest.write_text(json.dumps(MANIFEST))
    (root / "article").mkdir()
    (root / "article" / "index.qmd").write_text(ARTICLE)
    (root / "article" / "references.bib").write_text(BIB)
    return root


@pytest.fixture(scope="module")
def rendered(run_dir) -> dict[str, Path]:
    return render(engine="pandoc", run_dir=run_dir, article=run_dir / "article" / "index.qmd",
                         say=lambda msg: None)


def test_outputs_land_in_the_run_folder(run_dir, rendered):
    assert rendered["html"] == run_dir / "manuscript" / "index.html"
    assert rendered["pdf"] == run_dir / "manuscript" / "index.pdf"


def test_other_formats_docx_beside_and_linked_from_the_html(rendered):
    import zipfile

    assert rendered["docx"] == rendered["html"].with_name("index.docx")
    body = zipfile.ZipFile(rendered["docx"]).read("word/document.xml").decode()
    assert "Counts by group (synthetic)." in body and "354,321" in body
    html = rendered["html"].read_text()
    assert 'href="index.pdf"' in html and 'href="index.docx"' in html


def test_html_is_self_contained_with_numbered_floats_and_resolved_references(rendered):
    html = re.sub(r"[ \n]+", " ", rendered["html"].read_text())
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', html)) == 2
    assert "Figure 1: Rates by year (synthetic)." in html
    assert "Figure 2: A second figure." in html
    assert "Table 1: Counts by group (synthetic)." in html
    assert "Table 2: The same counts again." in html
    # cross-references are links with the number, in document order
    assert re.search(r'<a href="#fig-rate-by-year"[^>]*>Figure\xa01</a>', html)
    assert re.search(r'<a href="#tbl-counts"[^>]*>Table\xa01</a>', html)
    assert re.search(r'<a href="#tbl-second"[^>]*>Table\xa02</a>', html)
    assert re.search(r'<a href="#fig-second"[^>]*>Figure\xa02</a>', html)
    # the included table is a real table; variables, citations and the colophon are resolved
    assert "<td>Latino</td>" in html.replace(' style="text-align: left;"', "")
    assert "354,321" in html and "17.3" in html
    assert "Baumer and Xie" in html and "Hausman, David K." in html and "Sanctuary Policies Reduce Deportations" in html
    assert "0123456789ab" in html and "params/ci.yaml" in html and "synthetic NCVS" in html
    for raw in ("{{<", "??", "?@", "(fig-", "@fig-", "@tbl-", "/figures/"):
        assert raw not in html, raw


def test_pdf_cites_author_year_with_references_in_place(rendered):
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(rendered["pdf"]).pages)
    text = re.sub(r"\s+", " ", text)
    assert "Baumer and Xie 2023" in text or "Baumer and Xie (2023)" in text
    assert text.index("Hausman, David K.") < text.index("Colophon"), "references where ::: {#refs} puts them"


def test_pdf_pages_and_text(rendered):
    from pypdf import PdfReader

    reader = PdfReader(rendered["pdf"])
    assert 1 <= len(reader.pages) <= 4
    text = " ".join(page.extract_text() for page in reader.pages)
    text = re.sub(r"\s+", " ", text)
    for s in ("Figure 1: Rates by year", "Figure 2: A second figure", "Table 1: Counts by group",
              "Table 2: The same counts", "354,321", "Latino", "Baumer"):
        assert s in text, s
    assert "??" not in text and "{{<" not in text


@pytest.mark.parametrize("old, new, named", [
    ("demo.count", "demo.nowhere", r"demo\.nowhere"),                                 # a variable
    ("/figures/rate-by-year.png){#fig-second}", "/figures/absent.png){#fig-second}",
     r"figures/absent\.png"),                                                         # a figure
    ("See also @tbl-second", "See also @tbl-nowhere", "tbl-nowhere"),                  # a cross-reference
    ("[@baumer2023]", "[@nobody1999]", "nobody1999"),                                  # a citation
])
def test_a_missing_reference_is_named(run_dir, tmp_path, old, new, named):
    (tmp_path / "references.bib").write_text(BIB)
    art = tmp_path / "index.qmd"
    assert old in ARTICLE
    art.write_text(ARTICLE.replace(old, new))
    with pytest.raises(RenderError, match=named):
        render(engine="pandoc", run_dir=run_dir, article=art, say=lambda m: None)


def test_colophon_variables_from_manifest():
    v = colophon_variables(MANIFEST)
    assert v["commit"] == "0123456789ab" and v["tree"] == "clean"
    assert v["finished"] == "2026-01-02 03:09 UTC"
    assert v["planted"] == "sc x latino: 1.2"
    assert "synthetic" in v["data_source"] and "seed 7" in v["data_source"]
    assert v["stage_runs"] == "unknown"
    stages = {"models": {"finished": "2026-01-05T10:00:00+00:00"}, "policies": {"finished": "2026-01-02T03:05:00+00:00"},
              "ncvs": {"finished": "2026-01-05T09:30:00+00:00"}}
    dated = colophon_variables({**MANIFEST, "stages": stages, "lock_sha256": "cd" * 32})
    assert dated["stage_runs"] == ("policies 2026-01-02 03:05 UTC; ncvs 2026-01-05 09:30 UTC; "
                                   "models 2026-01-05 10:00 UTC")
    assert dated["lock_sha256"] == "cd" * 6
    dirty = colophon_variables({**MANIFEST, "git_dirty": True, "git_commit": None})
    assert dirty["tree"] == "with uncommitted changes" and dirty["commit"].startswith("unknown")


def test_forcing_quarto_without_quarto_says_what_to_do(run_dir, monkeypatch):
    monkeypatch.setenv("PATH", str(run_dir))  # a folder without a quarto executable
    with pytest.raises(RenderError, match="--engine pandoc"):
        render(engine="quarto", run_dir=run_dir, say=lambda m: None)


def test_mixed_cross_reference_and_citation(run_dir, tmp_path):
    """Pandoc merges `@tbl-x [@key]` into one citation group: the filter must split it."""
    (tmp_path / "references.bib").write_text(BIB)
    art = tmp_path / "index.qmd"
    art.write_text(ARTICLE.replace("See also @tbl-second", "See also @tbl-second [@hausman2020]"))
    out = render(engine="pandoc", run_dir=run_dir, article=art, say=lambda m: None)
    html = re.sub(r"[ \n]+", " ", out["html"].read_text())
    assert re.search(r'>Table\xa02</a> <span class="citation" data-cites="hausman2020">', html)


def test_restricted_run_has_nothing_planted():
    """The planted_odds_ratios parameter only shapes the simulation: a restricted run must not quote it."""
    v = colophon_variables({**MANIFEST, "ncvs_source": "restricted"})
    assert v["planted"].startswith("none") and "1.2" not in v["planted"]
    assert "restricted" in v["data_source"]


def test_typst_page_comes_from_the_quarto_project(tmp_path):
    project = tmp_path / "_quarto.yml"
    project.write_text("format:\n  typst:\n    keep-typ: false\n    margin: {x: 2cm, y: 2.2cm}\n    fontsize: 10pt\n")
    assert typst_page(project) == {"margin": {"x": "2cm", "y": "2.2cm"}, "fontsize": "10pt"}
    assert set(typst_page()) <= set(TYPST_PAGE_KEYS)


def test_a_null_variable_is_named_before_rendering(run_dir, tmp_path):
    """A null would print as the word "None" (fallback) or vanish (Quarto); the render stops and names it."""
    lay = Layout.at(tmp_path)
    with pytest.raises(RenderError, match=r"variable 'demo\.gap' .* is null in"):
        check_inputs("The gap is {{< var demo.gap >}}.", lay, {"demo": {"gap": None}})
    art = tmp_path / "index.qmd"
    (tmp_path / "references.bib").write_text(BIB)
    art.write_text(ARTICLE.replace("demo.count", "demo.gap"))
    variables = yaml.safe_load((run_dir / "_variables.yml").read_text())
    (run_dir / "_variables.yml").write_text(yaml.safe_dump({"demo": {**variables["demo"], "gap": None}}))
    try:
        with pytest.raises(RenderError, match=r"'demo\.gap' .* is null"):
            render(engine="pandoc", run_dir=run_dir, article=art, say=lambda m: None)
    finally:
        (run_dir / "_variables.yml").write_text(yaml.safe_dump(variables))
