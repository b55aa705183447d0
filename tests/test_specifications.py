"""Alternative specifications as variant runs (stage 08): parsing, which stages a variant runs, what it asks the
runner for, and how the estimates are collected and summarised."""

import json

import pandas as pd
import pytest

from fedlocal import params, paths, specifications
from fedlocal.paths import Layout
from fedlocal.report import tables, variables
from fedlocal.runner import load_stages

COLUMNS = ["model", "group", "policy", "estimate", "se", "odds_ratio", "ci_low", "ci_high", "p_value", "persons",
           "interviews", "counties", "cluster", "weighted", "source"]


def write_estimates(layout: Layout, ors: dict) -> None:
    """main-estimates (group all) and subgroup-estimates (latino) with odds ratio, CI (or/1.5, or*1.5) per policy."""
    layout.tables.mkdir(parents=True, exist_ok=True)
    for name, group in (("main-estimates", "all"), ("subgroup-estimates", "latino")):
        rows = [{"model": "hybrid_logit", "group": group, "policy": p, "estimate": 0.0, "se": 0.1, "odds_ratio": o,
                 "ci_low": o / 1.5, "ci_high": o * 1.5, "p_value": 0.5, "persons": 10, "interviews": 30,
                 "counties": 3, "cluster": "county", "weighted": False, "source": "synthetic"}
                for p, o in ors[group].items()]
        pd.DataFrame(rows, columns=COLUMNS).to_csv(layout.tables / f"{name}.csv", index=False)


def parent_layout(tmp_path, overrides=()) -> Layout:
    layout = Layout.at(tmp_path / "parent")
    values = params.load(paths.PARAMS / "ci.yaml", list(overrides))
    layout.manifest.parent.mkdir(parents=True, exist_ok=True)
    layout.manifest.write_text(json.dumps({"params_file": "params/ci.yaml", "overrides": list(overrides),
                                           "params": values}))
    write_estimates(layout, {"all": {"sc": 1.0, "jem": 2.0}, "latino": {"sc": 1.2, "jem": 1.0}})
    return layout


def test_a_specification_is_one_or_more_valid_parameter_changes():
    one = specifications.parse("sc_end=suspension")
    assert one.overrides == {"sc_end": "suspension"} and one.label == "SC end: suspension (2014-11-20)"
    two = specifications.parse("exposure_rule=share; cluster=person")
    assert two.overrides == {"exposure_rule": "share", "cluster": "person"}
    assert two.label == "exposure_rule = share, cluster = person" and two.folder_name == "exposure_rule-share_cluster-person"
    for bad in ("sc_end=never", "no_such_key=1", "run_name=x", "specifications=[]", " ; "):
        with pytest.raises(params.ParamError):
            specifications.parse(bad)


def test_the_specifications_parameter_is_validated_before_anything_runs():
    assert params.load(paths.PARAMS / "default.yaml")["specifications"] == list(params.DEFAULT_SPECIFICATIONS)
    assert params.load(paths.PARAMS / "default.yaml", ["specifications=[]"])["specifications"] == []
    for bad in ('specifications=["sc_end=never"]', 'specifications=["cluster=person", "cluster=person"]',
                "specifications=cluster=person"):
        with pytest.raises(params.ParamError, match="specifications"):
            params.load(paths.PARAMS / "default.yaml", [bad])


def test_a_variant_runs_the_stages_that_write_the_estimates_and_what_they_need():
    assert specifications.estimate_stages(load_stages()) == ["policies", "counties", "ncvs", "models"]


def test_each_specification_is_a_variant_of_this_run_in_a_folder_beside_it(tmp_path):
    parent = parent_layout(tmp_path, ["seed=7"])
    calls, lines = [], []

    def fake_run(params_file, overrides, only, out, progress, say, reuse_from):
        calls.append({"params_file": params_file, "overrides": overrides, "only": only, "out": out,
                      "reuse_from": reuse_from})
        write_estimates(Layout.at(out), {"all": {"sc": 1.1, "jem": 0.9}, "latino": {"sc": 1.2, "jem": 1.0}})

    specs = [specifications.parse(t) for t in ("cluster=county", "sc_end=suspension", "cluster=person")]
    runs = specifications.run_specifications(specs, parent, run=fake_run, say=lines.append)
    assert [s.text for s, _, _ in runs] == ["sc_end=suspension", "cluster=person"]  # cluster=county is this run
    assert calls[0]["overrides"] == ["seed=7", "sc_end=suspension"]  # this run's own changes, then the variant's
    assert calls[0]["params_file"] == paths.ROOT / "params/ci.yaml"
    assert calls[0]["only"] == ["policies", "counties", "ncvs", "models"]
    assert calls[0]["out"] == tmp_path / "parent" / "specifications" / "sc_end-suspension"
    # stages the variant shares with this run (or with the canonical run's variant of the same change) are copied
    canonical = Layout.canonical()
    assert calls[0]["reuse_from"] == [parent, Layout.at(paths.RUNS / "specifications" / "sc_end-suspension"), canonical]
    assert any("same as this run, skipped" in m for m in lines)
    assert any("--set seed=7 --set sc_end=suspension --only policies counties ncvs models" in m for m in lines)


def test_the_canonical_run_keeps_its_variants_in_the_ignored_runs_folder():
    canonical = Layout.canonical()
    assert specifications.variants_folder(canonical) == paths.RUNS / "specifications"
    spec = specifications.parse("sc_end=suspension")
    assert specifications.reuse_sources(canonical, spec) == [canonical, Layout.at(paths.RUNS / "specifications" /
                                                                                   "sc_end-suspension")]


def test_estimates_are_collected_beside_this_runs_with_ratio_and_verdict(tmp_path):
    parent = parent_layout(tmp_path)
    variant = Layout.at(tmp_path / "v")
    write_estimates(variant, {"all": {"sc": 1.0, "jem": 1.25}, "latino": {"sc": 2.4, "jem": 1.0}})
    spec = specifications.parse("sc_end=suspension")
    table = specifications.collect(parent, [(spec, variant, 1.0)])
    assert len(table) == 8 and list(table["label"].unique()) == ["This run", "SC end: suspension (2014-11-20)"]
    alt = table[table["specification"] == "sc_end=suspension"].set_index(["group", "policy"])
    assert alt.loc[("all", "jem"), "or_ratio_to_this_run"] == pytest.approx(0.625)
    assert alt.loc[("latino", "sc"), "or_ratio_to_this_run"] == pytest.approx(2.0)
    # jem/all: 2.0 (CI 1.33-3.0, excludes 1) -> 1.25 (0.83-1.88, includes 1); sc/latino: 1.2 (includes) -> 2.4 (excludes)
    assert alt["verdict_differs"].sum() == 2 and alt.loc[("all", "jem"), "verdict_differs"]
    summary = specifications.summary(table)
    assert summary["count"] == 1 and summary["comparisons"] == 4 and summary["verdict_changes"] == 2
    largest = summary["largest"]  # |log 2.0| > |log 0.625|
    assert (largest["policy"], largest["group"]) == ("sc", "latino")
    assert largest["from"] == pytest.approx(1.2) and largest["to"] == pytest.approx(2.4)
    assert (summary["largest_pooled"]["policy"], summary["largest_pooled"]["to"]) == ("jem", pytest.approx(1.25))
    assert summary["unchanged"] == []
    text = variables.specifications(summary)
    assert text["largest_cell"] == "Secure Communities, Latino" and (text["largest_from"], text["largest_to"]) == ("1.20", "2.40")
    assert text["unchanged_sentence"] == ""
    display = tables.specification_odds_ratios(table)
    assert list(display.columns) == ["Policy", "Group", "This run", "SC end: suspension (2014-11-20)", "Data"]
    assert display.iloc[0]["This run"] == "1.00" and "2.00*" in display["This run"].tolist()


def test_a_run_without_specifications_has_only_its_own_row(tmp_path):
    parent = parent_layout(tmp_path)
    table = specifications.collect(parent, [])
    assert set(table["label"]) == {"This run"} and not table["verdict_differs"].any()
    assert specifications.summary(table)["count"] == 0
    assert variables.specifications(specifications.summary(table))["largest_cell"] == ""


def test_a_specification_that_moves_nothing_is_named_as_such(tmp_path):
    parent = parent_layout(tmp_path)
    same, moved = Layout.at(tmp_path / "same"), Layout.at(tmp_path / "moved")
    write_estimates(same, {"all": {"sc": 1.004, "jem": 2.0}, "latino": {"sc": 1.2, "jem": 1.0}})
    write_estimates(moved, {"all": {"sc": 1.1, "jem": 2.0}, "latino": {"sc": 1.2, "jem": 1.0}})
    runs = [(specifications.parse("sc_end=suspension"), same, 1.0), (specifications.parse("cluster=person"), moved, 1.0)]
    summary = specifications.summary(specifications.collect(parent, runs))
    assert summary["unchanged"] == ["SC end: suspension (2014-11-20)"]
    assert variables.specifications(summary)["unchanged_sentence"] == (
        'Under "SC end: suspension (2014-11-20)" no odds ratio moves by more than 0.5%.')


def test_a_missing_estimate_table_is_named(tmp_path):
    with pytest.raises(specifications.SpecificationError, match="main-estimates.csv"):
        specifications.read_estimates(Layout.at(tmp_path / "nothing"))
