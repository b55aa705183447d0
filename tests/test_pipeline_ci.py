"""Tiers 3-5: the CI parameter set end to end, its executed notebooks checked cell by cell, and the canonical outputs."""

import json

import pandas as pd
import pytest
import yaml

from fedlocal import paths, registry, runner
from fedlocal.paths import Layout

pytestmark = pytest.mark.pipeline


def test_every_stage_runs_and_writes_what_it_declares(ci_run):
    manifest = json.loads((ci_run / "manifest.json").read_text())
    stages = runner.load_stages()
    assert set(manifest["stages"]) == {s.name for s in stages}
    lay = Layout.at(ci_run)
    for s in stages:
        rec = manifest["stages"][s.name]
        assert set(rec["outputs"]) == set(s.outputs)
        for o, digest in rec["outputs"].items():
            assert registry.sha256(lay.resolve(o)) == digest, o
    assert manifest["params"]["scale"] == 0.05 and manifest["ncvs_source"] == "synthetic"
    variables = yaml.safe_load((ci_run / "_variables.yml").read_text())
    namespaces = {o.split("/")[1].removesuffix(".yml") for s in stages for o in s.outputs if o.startswith("variables/")}
    assert set(variables) == namespaces | {"run"}
    assert variables["run"]["run_name"] == manifest["run_name"] and variables["run"]["ncvs_source"] == "synthetic"


def test_the_executed_notebooks_ran_every_cell_without_error(ci_run):
    """What nbval --nbval-lax checked, read from the notebooks the fixture already executed in fresh kernels.

    (nbval re-executed all six notebooks, 51 s, to learn the same thing: the project marks no cell for output
    comparison, so lax mode only asks that every cell runs without an error, top to bottom.)
    """
    import nbformat

    notebooks = sorted((ci_run / "notebooks").glob("*.ipynb"))
    assert len(notebooks) == len(runner.load_stages())
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert not nb.metadata["papermill"].get("exception"), path.name
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), f"{path.name}: a cell did not run"
        assert all(c.metadata["papermill"]["status"] == "completed" for c in code), path.name
        errors = [o for c in code for o in c.outputs if o.output_type == "error"]
        assert not errors, f"{path.name}: {errors[0].ename}: {errors[0].evalue}"
        assert not any("NBVAL_CHECK_OUTPUT" in c.source for c in code), \
            f"{path.name} marks a cell for output comparison: compare it here or bring back an nbval run"


def test_a_rerun_with_nothing_changed_skips_every_stage(ci_run):
    lines = []
    runner.run_pipeline(paths.PARAMS / "ci.yaml", out=ci_run, progress=False, say=lines.append)
    assert sum("up to date, skipped" in line for line in lines) == len(runner.load_stages())


def test_the_canonical_outputs_are_those_the_manifest_records():
    """What is committed is what the canonical run produced (nobody edited a table by hand)."""
    manifest = json.loads(paths.Layout.canonical().manifest.read_text())
    assert manifest["canonical"] and manifest["params_file"] == "params/default.yaml"
    lay = Layout.canonical()
    for name, rec in manifest["stages"].items():
        for o, digest in rec["outputs"].items():
            p = lay.resolve(o)
            if p.is_file() or not o.endswith(".parquet"):
                assert registry.sha256(p) == digest, f"{o} differs from the canonical run ({name})"


def test_same_parameters_give_byte_identical_outputs(ci_run):
    """Determinism: rerunning the synthetic stage with the same seed reproduces its files exactly."""
    before = json.loads((ci_run / "manifest.json").read_text())["stages"]["ncvs"]["outputs"]
    runner.run_pipeline(paths.PARAMS / "ci.yaml", out=ci_run, only=["ncvs"], force=True, progress=False,
                        say=lambda s: None)
    after = json.loads((ci_run / "manifest.json").read_text())["stages"]["ncvs"]["outputs"]
    assert after == before


def test_the_committed_tables_equal_a_fresh_run_of_the_same_stages(ci_run):
    """Stages whose parameters the CI run shares with the canonical run must reproduce its tables."""
    canon = json.loads(Layout.canonical().manifest.read_text())["stages"]
    fresh = json.loads((ci_run / "manifest.json").read_text())["stages"]
    same = [n for n in fresh if n in canon and fresh[n]["fingerprint"]["params"] == canon[n]["fingerprint"]["params"]
            and fresh[n]["fingerprint"]["upstream"] == canon[n]["fingerprint"]["upstream"]]
    assert {"policies", "counties"} <= set(same)
    for n in same:
        for o in fresh[n]["outputs"]:
            if o.startswith("tables/") and o.endswith(".csv"):
                a = pd.read_csv(Layout.canonical().resolve(o))
                b = pd.read_csv(Layout.at(ci_run).resolve(o))
                pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-6)


def test_the_ci_run_renders_to_html_and_pdf(ci_run):
    """The fallback engine turns the CI run's outputs into the paper: figures embedded, references resolved."""
    import pypdf

    from fedlocal.manuscript import render

    out = render(engine="pandoc", run_dir=ci_run, say=lambda s: None)
    html = out["html"].read_text()
    assert html.count("data:image/png;base64") >= 7
    assert "{{<" not in html and "??" not in html and "?@" not in html
    assert "Figure 1" in html and "Table 1" in html
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(out["pdf"]).pages)
    assert 8 <= len(pypdf.PdfReader(out["pdf"]).pages) <= 40
    variables = yaml.safe_load((ci_run / "_variables.yml").read_text())
    assert variables["ncvs"]["interviews"] in text and "synthetic" in text


def test_the_ncvs_stage_runs_on_a_restricted_directory(ci_run, tmp_path, monkeypatch):
    """A research-data-center user: the same stage, pointed at raw NCVS files through FEDLOCAL_NCVS_DIR."""
    import shutil

    from fixtures.ncvs_raw import raw_files, write

    (tmp_path / "rdc").mkdir()
    files = write(tmp_path / "rdc", *raw_files())
    monkeypatch.setenv(paths.RESTRICTED_ENV, str(files))
    run = tmp_path / "run"
    shutil.copytree(ci_run, run)
    runner.run_pipeline(paths.PARAMS / "ci.yaml", ["ncvs_source=restricted"], out=run, only=["ncvs"],
                        progress=False, say=lambda s: None)
    import pyarrow.parquet as pq

    meta = pq.read_schema(Layout.at(run).resolve("data/ncvs-interviews.parquet")).metadata
    assert meta[b"fedlocal_source"] == b"restricted"
    interviews = pd.read_parquet(Layout.at(run).resolve("data/ncvs-interviews.parquet"))
    assert len(interviews) == 6 and set(interviews["county_fips"]) == {"06037", "48201"}
    assert "synthetic" not in (run / "tables" / "ncvs-sample-by-year.md").read_text()


def _significant_digits(x: float) -> int:
    """Digits of the shortest repr, any exponent (1.2e-05 has two)."""
    from decimal import Decimal

    return len(Decimal(repr(float(x))).normalize().as_tuple().digits)


def test_a_restricted_run_releases_only_disclosure_safe_outputs(ci_run, tmp_path, monkeypatch):
    """The research-data-center path end to end: the CI run's synthetic panel written as raw NCVS files, then the
    NCVS stages on it as a restricted run: rounded and suppressed tables and numbers, notebooks without printed
    output, and a confidential review bundle."""
    import shutil

    import nbformat

    from fedlocal.data.ncvs import schema
    from fedlocal.report import disclosure, release
    from fixtures.ncvs_raw import from_interviews, write

    interviews, _ = schema.read(Layout.at(ci_run).resolve("data/ncvs-interviews.parquet"))
    (tmp_path / "rdc").mkdir()
    files = write(tmp_path / "rdc", *from_interviews(interviews))
    monkeypatch.setenv(paths.RESTRICTED_ENV, str(files))
    run = tmp_path / "run"
    shutil.copytree(ci_run, run)
    runner.run_pipeline(paths.PARAMS / "ci.yaml", ["ncvs_source=restricted"], out=run, only=["ncvs", "models", "robustness"],
                        progress=False, say=lambda s: None)
    lay = Layout.at(run)
    stages = {s.name: s for s in runner.load_stages()}
    for name in ("ncvs", "models", "robustness"):
        for output in stages[name].outputs:
            path = lay.resolve(output)
            if output.endswith(".csv") and output.startswith("tables/"):
                table = pd.read_csv(path)
                roles = release.table_roles(table)
                for column in roles["estimates"]:
                    values = pd.to_numeric(table[column], errors="coerce").dropna()
                    assert all(_significant_digits(v) <= 4 for v in values), (output, column)
                for column in roles["counts"] + ([roles["n"]] if roles["n"] else []):
                    values = pd.to_numeric(table[column], errors="coerce").dropna()
                    assert all(disclosure.round_count(v) == v for v in values), (output, column)
            elif output.startswith("variables/"):
                for value in yaml.safe_load(path.read_text())[name].values():
                    for part in str(value).split("–"):
                        number = pd.to_numeric(part.rstrip("%").replace(",", ""), errors="coerce")
                        assert pd.isna(number) or _significant_digits(number) <= 4, (output, value)
        notebook = nbformat.read(lay.notebooks / (stages[name].notebook_path.stem + ".ipynb"), as_version=4)
        printed = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])
                   if o.get("output_type") == "stream" and release.WITHHELD_OUTPUT not in o.get("text", "")]
        assert printed == [], name
    bundle = (run / "disclosure" / "review-bundle.md").read_text()
    assert "CONFIDENTIAL" in bundle and "tables/main-estimates.csv" in bundle and "variables/ncvs.yml" in bundle
    assert (run / "disclosure" / "review-bundle.csv").is_file()


def test_the_ci_specification_curve_reuses_every_stage_its_model_only_variant_shares(ci_run):
    """params/ci.yaml's one specification, cluster=person, changes only the models: its variant copies policies,
    counties and ncvs from the CI run and runs the models; on the curve it has this run's point estimates (only the
    interval moves), beside the conditional logit of stage 05."""
    variant = json.loads((ci_run / "specifications" / "cluster-person" / "manifest.json").read_text())
    reused = {name for name, rec in variant["stages"].items() if "reused_from" in rec}
    assert reused == {"policies", "counties", "ncvs"} and "models" in variant["stages"]
    assert all(variant["stages"][n]["reused_from"].endswith("manifest.json") for n in reused)
    curve = pd.read_csv(ci_run / "tables" / "specification-curve.csv").fillna({"specification": ""})
    assert set(curve["specification"]) == {"", "cluster=person", "estimator=conditional_logit"}
    assert curve.groupby(["policy", "group"])["rank"].apply(lambda r: list(r) == list(range(1, len(r) + 1))).all()
    assert curve.groupby(["policy", "group"])["odds_ratio"].apply(lambda o: o.is_monotonic_increasing).all()
    person = curve[curve["specification"] == "cluster=person"]
    assert person["same_estimate_as_this_run"].all() and curve.loc[curve["this_run"], "specification"].eq("").all()
    assert (ci_run / "figures" / "specification-curve.png").stat().st_size > 10_000
