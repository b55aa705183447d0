"""Contract between the manuscript and the pipeline: everything the paper quotes or shows is a declared output.

Each failure names the missing key, path or label, so that whoever changes a stage or the prose knows what to
fix: a variable the text quotes must be in _variables.yml (written by a stage's variables/<ns>.yml), a figure or
table must be a declared output in pipeline.yaml and exist in the canonical layout.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
import yaml

from fedlocal import paths
from fedlocal.manuscript import scan
from fedlocal.manuscript.colophon import colophon_variables
from fedlocal.manuscript.project import ARTICLE, BIBLIOGRAPHY, QUARTO_OUTPUT_DIR, QUARTO_PROJECT

TEXT = ARTICLE.read_text()
QUARTO = yaml.safe_load(QUARTO_PROJECT.read_text())
FIGURES = re.findall(r"!\[(.*?)\]\((\S+?)\)\{#(fig-[\w-]+)\}", TEXT, flags=re.S)
TABLES = [(m.group(1), m.group(2))
          for m in re.finditer(r"^::: \{#(tbl-[\w-]+)\}\n(.*?)\n:::$", TEXT, flags=re.S | re.M)]


def _stages() -> list[dict]:
    return (yaml.safe_load(paths.PIPELINE_FILE.read_text()) or {}).get("stages", [])


def _declared_outputs() -> dict[str, str]:
    """Declared output -> the stage that writes it."""
    return {o: s["name"] for s in _stages() for o in s.get("outputs") or []}


def _manuscript_outputs() -> list[str]:
    """Every figure and table file the manuscript shows, as layout-relative outputs ('figures/x.png')."""
    return [p.lstrip("/") for p in scan.image_paths(TEXT) + scan.included_paths(TEXT)]


def _table_caption(body: str) -> str:
    return body.strip().split("\n\n")[-1]


def test_quarto_project_renders_only_the_article_into_the_shared_output_folder():
    assert QUARTO["project"]["type"] == "manuscript"
    assert QUARTO["project"]["render"] == ["manuscript/index.qmd"]
    assert QUARTO["manuscript"]["article"] == "manuscript/index.qmd"
    assert QUARTO["project"].get("output-dir", "_manuscript") == QUARTO_OUTPUT_DIR
    assert QUARTO["format"]["html"]["embed-resources"] is True
    assert "typst" in QUARTO["format"]


def test_article_is_prose_only_without_parent_paths():
    assert not re.search(r"^```\s*\{", TEXT, flags=re.M), "the manuscript must not have executable cells"
    assert "../" not in TEXT, "use project-root paths (/figures/x.png): ../ breaks Quarto's Typst PDF"
    for p in scan.image_paths(TEXT) + scan.included_paths(TEXT):
        assert re.fullmatch(r"/(figures|tables)/[a-z0-9][a-z0-9-]*\.(png|md)", p), \
            f"{p}: figures and tables are included by root-relative, content-named paths"


def test_only_supported_shortcodes():
    names = {name for name, _ in scan.SHORTCODE.findall(TEXT)}
    unsupported = names - {"var", "include"}
    assert not unsupported, f"shortcodes the fallback renderer does not implement: {unsupported}"


def test_every_label_defined_once_and_every_label_referenced():
    defined = scan.labels_defined(TEXT)
    twice = [k for k, n in Counter(defined).items() if n > 1]
    assert not twice, f"labels defined more than once: {twice}"
    referenced = set(scan.labels_referenced(TEXT))
    assert not referenced - set(defined), f"cross-references to undefined labels: {sorted(referenced - set(defined))}"
    assert not set(defined) - referenced, f"labels never referenced in the text: {sorted(set(defined) - referenced)}"
    assert len(FIGURES) + len(TABLES) == len(defined), "every float must be a figure image or a ::: {#tbl-} div"


def test_every_citation_key_is_in_the_bibliography():
    bib = BIBLIOGRAPHY.read_text()
    keys = set(re.findall(r"^@\w+\{([^,\s]+),", bib, flags=re.M))
    missing = [k for k in scan.citation_keys(TEXT) if k not in keys]
    assert not missing, f"citation keys missing from manuscript/references.bib: {missing}"
    assert "doi.org" not in bib, "write DOIs as doi = {10.x/...}, not as URLs"


def test_every_table_has_one_include_and_a_caption():
    for label, body in TABLES:
        includes = [a for n, a in scan.SHORTCODE.findall(body) if n == "include"]
        assert len(includes) == 1, f"{label}: a table float holds exactly one {{{{< include /tables/x.md >}}}}"
        caption = _table_caption(body)
        assert "include" not in caption and len(caption) > 20, f"{label}: the last paragraph must be the caption"


def test_results_from_the_ncvs_are_labelled_with_their_source():
    """A float showing NCVS-based results says in its caption whether the data are synthetic or restricted."""
    stages = _stages()
    ncvs_based, changed = {"ncvs"}, True
    while changed:  # stages that read the NCVS stage's outputs, directly or not
        changed = False
        for s in stages:
            if s["name"] not in ncvs_based and set(s.get("needs") or []) & ncvs_based:
                ncvs_based.add(s["name"])
                changed = True
    writer = _declared_outputs()
    floats = [(label, path, caption) for caption, path, label in FIGURES]
    floats += [(label, scan.included_paths(body)[0], _table_caption(body)) for label, body in TABLES]
    unlabelled = [label for label, path, caption in floats
                  if writer.get(path.lstrip("/")) in ncvs_based and "{{< var run.ncvs_source >}}" not in caption]
    assert not unlabelled, ("captions of NCVS-based results must say their source with {{< var run.ncvs_source >}} "
                            f"(synthetic or restricted): {unlabelled}")


def test_colophon_variables_are_the_ones_the_render_step_provides():
    provided = set(colophon_variables({}))
    used = {k.split(".", 1)[1] for k in scan.variable_keys(TEXT) if k.startswith("run.")}
    assert used, "the colophon quotes the run (commit, parameters, data source)"
    assert not used - provided, f"run.* variables the render step does not provide: {sorted(used - provided)}"


def test_every_figure_and_table_is_a_declared_pipeline_output():
    declared = _declared_outputs()
    missing = [p for p in _manuscript_outputs() if p not in declared]
    if missing:
        pytest.fail("the manuscript shows files that no stage declares in pipeline.yaml `outputs`:\n  "
                    + "\n  ".join(missing), pytrace=False)


def test_every_figure_and_table_exists_in_the_canonical_outputs():
    layout = paths.layout("")
    missing = [p for p in _manuscript_outputs() if not layout.resolve(p).is_file()]
    if missing:
        pytest.fail("canonical outputs missing (run `fedlocal run`):\n  " + "\n  ".join(missing), pytrace=False)


def test_every_quoted_variable_is_in_the_variables_file():
    layout = paths.layout("")
    exists = layout.variables_file.is_file()
    variables = (yaml.safe_load(layout.variables_file.read_text()) or {}) if exists else {}
    missing = []
    for key in scan.variable_keys(TEXT):  # run.* too: a plain `quarto render` reads only this file
        try:
            scan.lookup(variables, key)
        except KeyError:
            missing.append(key)
    if missing:
        absent = "" if exists else f"{layout.variables_file.name} does not exist: run the pipeline (`fedlocal run`). "
        pytest.fail(absent
                    + f"variables quoted by the manuscript but absent from {layout.variables_file.name} "
                    "(written by the stages' variables/<namespace>.yml):\n  " + "\n  ".join(missing), pytrace=False)


def test_no_line_is_read_by_quarto_as_one_block_shortcode():
    """Quarto parses a line that starts with `{{<` and ends with `>}}` as ONE block shortcode, so the text
    between two shortcodes on it becomes arguments ("Invalid Shortcode" once an apostrophe appears)."""
    import re

    from fedlocal.manuscript.project import ARTICLE

    block = re.compile(r"^\s*\{\{<.*>\}\}\s*$")
    bad = [n for n, line in enumerate(ARTICLE.read_text().splitlines(), 1) if block.match(line) and line.count(">}}") > 1]
    assert bad == [], f"manuscript/index.qmd lines {bad}: start the line with text, not a shortcode"
