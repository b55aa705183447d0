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
    # this run's own changes, no score bootstrap (the curve uses clustered intervals), then the variant's
    assert calls[0]["overrides"] == ["seed=7", "bootstrap_draws=0", "sc_end=suspension"]
    assert calls[0]["params_file"] == paths.ROOT / "params/ci.yaml"
    assert calls[0]["only"] == ["policies", "counties", "ncvs", "models"]
    assert calls[0]["out"] == tmp_path / "parent" / "specifications" / "sc_end-suspension"
    # stages the variant shares with this run (or with the canonical run's variant of the same change) are copied
    canonical = Layout.canonical()
    assert calls[0]["reuse_from"] == [parent, Layout.at(paths.RUNS / "specifications" / "sc_end-suspension"), canonical]
    assert any("same as this run, skipped" in m for m in lines)
    assert any("--set seed=7 --set bootstrap_draws=0 --set sc_end=suspension --only policies counties ncvs models" in m
               for m in lines)
    calls.clear()
    specifications.run_specifications([specifications.parse("bootstrap_draws=199; cluster=person")], parent,
                                      run=fake_run, say=lines.append)
    assert calls[0]["overrides"] == ["seed=7", "bootstrap_draws=199", "cluster=person"]  # its own draws stand


def test_variants_run_side_by_side_within_the_jobs_of_the_run_and_come_back_in_order(tmp_path, monkeypatch):
    import threading

    parent = parent_layout(tmp_path)
    both_running = threading.Barrier(2, timeout=60)  # broken (an error) unless two variants run at once

    def fake_run(params_file, overrides, only, out, progress, say, reuse_from):
        both_running.wait()
        write_estimates(Layout.at(out), {"all": {"sc": 1.1, "jem": 0.9}, "latino": {"sc": 1.2, "jem": 1.0}})

    specs = [specifications.parse(t) for t in ("sc_end=suspension", "cluster=person")]
    monkeypatch.setenv("FEDLOCAL_JOBS", "2")  # what the stage kernel of a `fedlocal run --jobs 2` inherits
    runs = specifications.run_specifications(specs, parent, run=fake_run, say=lambda _: None)
    assert [s.text for s, _, _ in runs] == ["sc_end=suspension", "cluster=person"]
    monkeypatch.setenv("FEDLOCAL_JOBS", "1")
    assert specifications.variant_jobs() == 1


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


# The specification curve: constructed runs whose odds ratios put the specifications in a known order.

def curve_inputs(tmp_path, edit=None):
    """This run (parent) and three variants with known odds ratios for all persons and Latino respondents:
    cluster=person (this run's point estimates, wider intervals), exposure_rule=share and sc_end=suspension; and a
    robustness table with this run's conditional logit."""
    parent = parent_layout(tmp_path)  # all: sc 1.0, jem 2.0; latino: sc 1.2, jem 1.0
    ors = {"cluster=person": {"all": {"sc": 1.0, "jem": 2.0}, "latino": {"sc": 1.2, "jem": 1.0}},
           "exposure_rule=share": {"all": {"sc": 0.8, "jem": 2.5}, "latino": {"sc": 1.5, "jem": 0.9}},
           "sc_end=suspension": {"all": {"sc": 1.1, "jem": 1.5}, "latino": {"sc": 1.2, "jem": 1.1}}}
    runs = []
    for text, values in ors.items():
        layout = Layout.at(tmp_path / text.replace("=", "-"))
        write_estimates(layout, values)
        if text == "cluster=person":  # clustering moves the interval only
            for name in ("main-estimates", "subgroup-estimates"):
                f = layout.tables / f"{name}.csv"
                d = pd.read_csv(f)
                d["ci_low"], d["ci_high"] = d["odds_ratio"] / 2, d["odds_ratio"] * 2
                d.to_csv(f, index=False)
        runs.append((specifications.parse(text), layout, 1.0))
    robustness = pd.DataFrame(
        [{"model": "conditional_logit", "group": g, "policy": p, "estimate": 0.0, "odds_ratio": o, "ci_low": o / 1.2,
          "ci_high": o * 1.2, "p_value": 0.01, "persons": 5, "interviews": 9, "scale": "odds ratio", "counties": "",
          "source": "synthetic"} for g, p, o in (("all", "sc", 0.9), ("all", "jem", 3.0), ("latino", "sc", 1.3),
                                                 ("latino", "jem", 0.5), ("black", "sc", 7.0),
                                                 ("latino", "tfm", float("nan")))]
        + [{"model": "hybrid_logit", "group": "all", "policy": "sc", "estimate": 0.0, "odds_ratio": 99.0,
            "ci_low": 98.0, "ci_high": 100.0, "p_value": 0.0, "persons": 5, "interviews": 9, "scale": "odds ratio",
            "counties": "", "source": "synthetic"}])
    robustness.to_csv(parent.tables / "robustness.csv", index=False)
    if edit is not None:  # change the written tables before they are read
        edit(parent, runs)
    values = json.loads(parent.manifest.read_text())["params"]
    table = specifications.collect(parent, runs)
    return specifications.curve(table, values, specifications.estimator_rows(parent))


def test_the_curve_ranks_every_specification_by_odds_ratio_with_this_run_marked(tmp_path):
    curve = curve_inputs(tmp_path)
    assert set(curve["group"]) == {"all", "latino"} and len(curve) == 2 * 2 * 5  # 4 runs + the conditional logit
    sc_all = curve[(curve["policy"] == "sc") & (curve["group"] == "all")]
    assert sc_all["rank"].tolist() == [1, 2, 3, 4, 5]
    # 0.8 share < 0.9 clogit < 1.0 this run = 1.0 cluster=person (tie: this run first) < 1.1 suspension
    assert sc_all["specification"].tolist() == ["exposure_rule=share", "estimator=conditional_logit", "",
                                                "cluster=person", "sc_end=suspension"]
    assert sc_all["this_run"].tolist() == [False, False, True, False, False]
    jem_all = curve[(curve["policy"] == "jem") & (curve["group"] == "all")]
    assert jem_all["odds_ratio"].is_monotonic_increasing and jem_all["odds_ratio"].iloc[-1] == pytest.approx(3.0)
    # excludes 1: jem all this run 2.0 (1.33-3.0) yes; cluster=person 2.0 (1.0-4.0) no
    jem = jem_all.set_index("specification")
    assert jem.loc["", "excludes_one"] and not jem.loc["cluster=person", "excludes_one"]
    assert curve.loc[curve["specification"] == "estimator=conditional_logit", "model"].eq("conditional_logit").all()
    assert 99.0 not in curve["odds_ratio"].tolist()  # robustness rows of the hybrid model are not a second estimator
    assert "tfm" not in set(curve["policy"])  # a failed fit (no odds ratio) is left off its curve


def test_the_choice_matrix_marks_the_choices_each_specification_makes(tmp_path):
    curve = curve_inputs(tmp_path).set_index(["policy", "group", "specification"])
    share = curve.loc[("sc", "all", "exposure_rule=share")]
    assert (share["choice_exposure_rule"], share["choice_sc_end"], share["choice_cluster"],
            share["choice_estimator"]) == ("share", "window_end", "county", "hybrid_logit")
    clogit = curve.loc[("sc", "all", "estimator=conditional_logit")]
    assert (clogit["choice_exposure_rule"], clogit["choice_estimator"]) == ("any", "conditional_logit")
    assert curve.loc[("sc", "all", "sc_end=suspension"), "choice_sc_end"] == "suspension"
    rows = specifications.choice_rows(curve.reset_index())
    # every choice with this run's value first, then each alternative used; survey weights stay at this run's only
    assert rows[:2] == [("exposure_rule", "any"), ("exposure_rule", "share")]
    assert ("cluster", "person") in rows and ("survey_weights", "False") in rows and ("survey_weights", "True") not in rows
    assert rows[-2:] == [("estimator", "hybrid_logit"), ("estimator", "conditional_logit")]
    assert specifications.choice_label("exposure_rule", "share") == "Exposure rule: share of days"
    assert specifications.choice_label("survey_weights", "True") == "Survey weights: yes"
    keys = [k for k, _ in rows]
    assert variables.specification_curve(specifications.curve_summary(curve.reset_index()), [], rows)["choices"] == \
        len({k for k in keys if keys.count(k) > 1}) == 4  # exposure rule, clustering, SC end, estimator


def test_a_clustering_change_keeps_this_runs_point_estimates_and_only_widens_the_intervals(tmp_path):
    curve = curve_inputs(tmp_path)
    person = curve[curve["specification"] == "cluster=person"].set_index(["policy", "group"])
    this = curve[curve["this_run"]].set_index(["policy", "group"])
    assert person["same_estimate_as_this_run"].all()
    assert (person["odds_ratio"] == this["odds_ratio"]).all() and (person["ci_low"] < this["ci_low"]).all()
    assert not curve.loc[curve["specification"] == "sc_end=suspension", "same_estimate_as_this_run"].all()
    assert specifications.same_estimates(curve) == ["Clustered by person"]
    text = variables.specification_curve(specifications.curve_summary(curve), specifications.same_estimates(curve),
                                         specifications.choice_rows(curve))
    assert text["same_estimates_sentence"].startswith('Under "Clustered by person" every point estimate is this run')


def test_the_curve_summary_and_table_give_rank_range_and_intervals_excluding_one(tmp_path):
    curve = curve_inputs(tmp_path)
    summary = specifications.curve_summary(curve).set_index(["policy", "group"])
    jem = summary.loc[("jem", "all")]
    assert (jem["specifications"], jem["this_run_rank"], jem["smallest"], jem["largest"]) == (5, 2, 1.5, 3.0)
    # excluding 1 (CI or/1.5..or*1.5, clogit or/1.2..or*1.2): 2.0 yes, 2.0 person no, 2.5 yes, 1.5 no, 3.0 yes
    assert jem["excluding_one"] == 3 and jem["above_one"] == 5
    display = tables.specification_curve(summary.reset_index())
    assert display.iloc[2].tolist() == ["287(g) jail model", "All persons", "5", "2.00 (2)", "2.00", "1.50–3.00",
                                        "5 of 5", "3 of 5"]
    text = variables.specification_curve(summary.reset_index(), [], specifications.choice_rows(curve))
    assert (text["count"], text["jem_all_min"], text["jem_all_max"], text["jem_all_rank"]) == (5, "1.50", "3.00", 2)


def test_the_figure_highlights_this_run_in_its_rank_and_is_written(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from fedlocal.report import figures, save_figure

    curve = curve_inputs(tmp_path)
    rows = specifications.choice_rows(curve)
    fig = figures.specification_curve(curve, rows, [specifications.choice_label(k, v) for k, v in rows])
    assert len(fig.axes) == 2 * 2 * 2  # two policies x two groups, each a curve and a matrix
    curve_axis = fig.axes[0]  # Secure Communities, all persons: this run is third
    red = [line for line in curve_axis.lines if line.get_marker() == "o" and line.get_color() == "#c0392b"]
    assert len(red) == 1 and red[0].get_xdata()[0] == 2 and red[0].get_ydata()[0] == pytest.approx(1.0)
    points = [line.get_ydata()[0] for line in curve_axis.lines if line.get_marker() == "o"]
    assert points == sorted(points)
    matrix = fig.axes[1]
    assert [t.get_text() for t in matrix.get_yticklabels()][:2] == ["Exposure rule: any day", "Exposure rule: share of days"]
    path = save_figure(fig, Layout.at(tmp_path / "out"), "specification-curve")
    assert path.is_file() and path.stat().st_size > 10_000


def test_suppressed_cells_of_a_disclosure_safe_run_are_missing_in_the_curve(tmp_path):
    """A restricted run's released tables carry text in suppressed cells; the curve must not compare text with 1."""
    from fedlocal.report import disclosure

    def suppress_latino(parent, runs):
        share = dict((spec.text, layout) for spec, layout, _ in runs)["exposure_rule=share"]
        for f in (share.tables / "subgroup-estimates.csv", parent.tables / "robustness.csv"):
            d = pd.read_csv(f).astype({c: object for c in ("odds_ratio", "ci_low", "ci_high", "p_value")})
            d.loc[d["group"] == "latino", ["odds_ratio", "ci_low", "ci_high", "p_value"]] = disclosure.suppressed_text()
            d.to_csv(f, index=False)

    curve = curve_inputs(tmp_path, suppress_latino)
    latino = curve[curve["group"] == "latino"]  # a suppressed estimate has no place on its curve, like a failed fit
    assert set(latino["specification"]) == {"", "cluster=person", "sc_end=suspension"}
    assert latino.groupby("policy")["rank"].apply(list).tolist() == [[1, 2, 3], [1, 2, 3]]
    assert {"exposure_rule=share", "estimator=conditional_logit"} <= set(curve.loc[curve["group"] == "all", "specification"])


def test_a_missing_conditional_logit_table_is_named(tmp_path):
    with pytest.raises(specifications.SpecificationError, match="robustness.csv"):
        specifications.estimator_rows(Layout.at(tmp_path / "nothing"))


def test_model_only_changes_rerun_only_the_models_and_the_exposure_rule_only_ncvs_and_models():
    stages = load_stages()
    only = specifications.estimate_stages(stages)
    rerun = {t: specifications.changed_stages(stages, specifications.parse(t), only)
             for t in ("cluster=person", "survey_weights=true", "exposure_rule=share", "sc_end=suspension")}
    assert rerun == {"cluster=person": ["models"], "survey_weights=true": ["models"],
                     "exposure_rule=share": ["ncvs", "models"],
                     "sc_end=suspension": ["policies", "counties", "ncvs", "models"]}


def test_the_default_specifications_cover_every_choice_of_the_curve():
    keys = {k for t in params.DEFAULT_SPECIFICATIONS for k in specifications.parse(t).overrides}
    assert keys | {"estimator"} == set(specifications.CHOICES)
