"""Display tables on hand-built results: labels, cell text, alignment, and the source named in every table."""

import numpy as np
import pandas as pd

from fedlocal.report import tables
from fedlocal.report.formatting import DASH
from fedlocal.vocab import GROUPS, POLICIES


def estimates(model="hybrid_logit", groups=("all",) + GROUPS):
    rows = [{"model": model, "group": g, "policy": p, "estimate": np.log(1.2), "se": 0.1, "odds_ratio": 1.2,
             "ci_low": 1.0, "ci_high": 1.44, "p_value": 0.04, "persons": 1000, "interviews": 2800, "counties": 50}
            for g in groups for p in POLICIES]
    return pd.DataFrame(rows)


def test_calibration_cells_and_source_in_header():
    checks = pd.DataFrame({"check": ["persons (scale 1)", "weighted prevalence 2010", "share latino (weighted)"],
                           "target": [354_000.0, 0.0056, 0.16], "value": [350_000.0, 0.0057, 0.165],
                           "gap": [-0.0113, 0.0179, 0.005], "tolerance": [0.05, 0.05, 0.01],
                           "kind": ["relative", "relative", "absolute"], "met": [True, True, True]})
    shown = tables.calibration(checks, "synthetic")
    assert list(shown.columns) == ["check (synthetic)", "target", "value", "gap", "met"]
    assert shown["target"].tolist() == ["354,000", "0.560%", "16.000%"]
    assert shown["gap"].tolist() == ["-1.1%", "1.8%", "0.50 pts"]
    restricted = checks[["check", "target", "value", "gap"]].iloc[[1]].assign(value=float("nan"), gap=float("nan"))
    shown = tables.calibration(restricted, "restricted")
    assert list(shown.columns) == ["check (restricted)", "target", "value", "gap"]
    assert shown[["target", "value", "gap"]].values.tolist() == [["0.560%", DASH, DASH]]  # a year without interviews


def test_sample_by_year_counts_mix_and_exposure():
    interviews = pd.DataFrame({"year": [2010, 2010, 2010, 2011], "person_id": [1, 1, 2, 1],
                               "race_eth": ["latino", "latino", "white", "latino"],
                               "sc": [0.0, 1.0, 1.0, 1.0], "jem": 0.0, "tfm": 0.0, "antidetainer": 0.0})
    table = tables.sample_by_year(interviews).set_index("year")
    assert table.loc[2010, "interviews"] == 3 and table.loc[2010, "persons"] == 2
    assert table.loc[2010, "share_latino"] == 2 / 3 and table.loc[2010, "share_black"] == 0.0
    assert table.loc[2010, "exposed_sc"] == 2 / 3 and table.loc[2011, "exposed_sc"] == 1.0
    shown = tables.sample_by_year_display(table.reset_index(), "synthetic")
    assert shown.columns[0] == "Year (synthetic)" and "% exposed to Secure Communities" in shown.columns
    assert shown["% exposed to Secure Communities"].tolist() == ["66.7", "100.0"]
    assert "% Latino" in shown.columns and "% exposed to 287(g) task force" in shown.columns


def test_model_tables_name_the_source_and_align():
    est = estimates()
    main = tables.main_estimates(est.loc[est["group"] == "all"], "synthetic")
    assert main["Data"].unique().tolist() == ["synthetic NCVS"]
    assert main.attrs["align"] == ["l"] + ["r"] * 6 + ["l"]
    assert main["95% CI"].iloc[0] == "1.00–1.44" and main["Persons"].iloc[0] == "1,000"
    sub = tables.subgroup_estimates(est.loc[est["group"].isin(GROUPS)], "restricted")
    assert list(sub.columns) == ["Policy", "Latino (n = 2,800)", "Non-Latino Black (n = 2,800)",
                                 "Non-Latino white (n = 2,800)", "Data"]
    assert sub.iloc[0, 1] == "1.20 (1.00–1.44), p = 0.040" and sub["Data"].iloc[0] == "restricted NCVS"


def test_planted_table_is_a_note_for_restricted_data():
    note = tables.planted_vs_estimated(pd.DataFrame(), "restricted")
    assert list(note.columns) == ["Note"] and note.attrs["align"] == ["l"]
    comparison = pd.DataFrame({"policy": ["sc"], "group": ["latino"], "planted": [1.2], "odds_ratio": [float("nan")],
                               "ci_low": [float("nan")], "ci_high": [float("nan")], "covered": [False]})
    shown = tables.planted_vs_estimated(comparison, "synthetic")
    assert shown["Estimated OR (95% CI)"].item() == DASH and shown["Planted inside CI"].item() == "no"


def test_robustness_long_and_wide():
    hybrid = estimates()
    conditional = estimates("conditional_logit")
    lpm = estimates("lpm_twfe").assign(scale="percentage points", estimate=0.12, ci_low=-0.05, ci_high=0.29)
    stag = estimates("callaway_santanna", groups=("all",)).query("policy == 'sc'").assign(
        scale="percentage points", estimate=0.1, ci_low=0.0, ci_high=0.2)
    long = tables.robustness(hybrid, conditional, lpm, stag, "synthetic")
    assert len(long) == 16 * 3 + 1 and set(long["source"]) == {"synthetic"}
    assert long.loc[long["model"] == "hybrid_logit", "counties"].isna().all()  # logit rows carry no county count
    wide = tables.robustness_display(long, "synthetic")
    assert list(wide.columns[:2]) == ["Policy", "Group"] and wide.columns[-1] == "Data"
    assert list(wide.columns[2:-1]) == ["Between–within logit (OR)", "Conditional logit (OR)",
                                        "LPM, county + period FE (pp)", "Callaway–Sant'Anna, county weights (pp)"]
    first = wide.iloc[0]
    assert first["Group"] == "All persons" and first["LPM, county + period FE (pp)"] == "+0.12 (-0.05, +0.29)"
    assert wide.loc[1, "Callaway–Sant'Anna, county weights (pp)"] == ""  # only SC, all persons
    assert wide.attrs["align"] == ["l", "l", "r", "r", "r", "r", "l"]


def test_group_differences_leave_the_joint_test_ratio_blank():
    diffs = pd.DataFrame({"policy": ["sc", "sc"], "comparison": ["latino vs white", tables.JOINT_TEST],
                          "or_ratio": [1.5, float("nan")], "ci_low": [1.1, float("nan")], "ci_high": [2.0, float("nan")],
                          "p_value": [0.01, 0.0004]})
    shown = tables.group_differences(diffs, "synthetic")
    assert shown["Ratio of odds ratios (95% CI)"].tolist() == ["1.50 (1.10–2.00)", ""]
    assert shown["p"].tolist() == ["0.010", "<0.001"]


def test_staggered_event_time_side_by_side():
    events = pd.DataFrame({"model": ["callaway_santanna", "sun_abraham", "callaway_santanna"], "event_time": [-2, -2, 0],
                           "estimate": [0.1, -0.2, 0.3], "ci_low": [0.0, -0.4, 0.1], "ci_high": [0.2, 0.0, 0.5]})
    shown = tables.staggered_event_time(events, "synthetic")
    assert list(shown.columns) == ["Half-years since start", "Callaway–Sant'Anna, county weights (pp)",
                                   "Sun–Abraham (pp)", "Data"]
    assert shown.iloc[1, 2] == "" and shown.iloc[0, 2] == "-0.20 (-0.40, +0.00)"


def test_police_crime_design_choices_display():
    choices = pd.DataFrame({"policy": ["sc", "sc"], "partly_treated": ["treated", "drop"], "weights": ["none", "population"],
                            "estimator": ["Callaway-Sant'Anna", "TWFE, same MSA-years"], "estimate": [-0.05, -0.0612],
                            "se": [0.01, 0.02], "ci_low": [-0.07, -0.1], "ci_high": [-0.03, -0.02], "p_value": [0.001, 0.003],
                            "n_obs": [1881, 1870], "n_units": [171, 171], "n_treated_units": [171, 171],
                            "pretest_p": [0.04, float("nan")]})
    shown = tables.police_crime_design_choices(choices)
    assert shown["Partly covered years"].tolist() == ["counted as treated", "dropped"]
    assert shown.loc[1, "Estimate"] == "-0.061" and shown.loc[0, "MSA-years"] == "1,881"


def test_police_crime_few_cluster_and_honest_displays():
    inference = pd.DataFrame({"outcome": ["log violent crime rate"], "term": ["jem"], "estimate": [-0.1034],
                              "n_treated_units": [34], "p_value": [0.0156], "wild_bootstrap_p": [0.0301],
                              "randomization_p": [0.041]})
    shown = tables.police_crime_few_cluster(inference)
    assert shown.loc[0, "p, wild cluster bootstrap"] == "0.030" and shown.loc[0, "Policy"] == "287(g) jail model"
    honest = pd.DataFrame({"policy": ["sc", "sc"], "m_bar": [0.0, 1.0], "lb": [-0.06, -0.1], "ub": [-0.06, -0.02],
                           "ci_low": [-0.09, -0.13], "ci_high": [-0.03, 0.01], "breakdown_m_bar": [0.61, 0.61],
                           "pretest_p": [0.043, 0.043]})
    shown = tables.police_crime_honest(honest)
    assert shown.loc[1, "Identified set"] == "[-0.100, -0.020]" and shown.loc[0, "Breakdown M-bar"] == "0.61"
    assert tables.police_crime_honest(honest.assign(breakdown_m_bar=np.inf)).loc[0, "Breakdown M-bar"] == "never"


def test_random_intercept_beside_pooled_with_sd_row():
    est = pd.concat([estimates("hybrid_logit", ("all",)), estimates("random_intercept_logit", ("all",)).assign(
        odds_ratio=1.3, ci_low=1.1, ci_high=1.5)], ignore_index=True)
    shown = tables.random_intercept(est, {"sd": 0.8123, "sd_se": 0.0311}, "synthetic")
    assert list(shown.columns) == ["Policy", "Between–within logit, pooled (OR)", "Random intercept (person), AGHQ (OR)",
                                   "Data"]
    assert len(shown) == len(POLICIES) + 1 and shown["Policy"].iloc[0] == "Secure Communities"
    assert shown.iloc[0, 1] != shown.iloc[0, 2]  # the two models' columns are not swapped or merged
    assert shown.iloc[-1, 1:3].tolist() == [DASH, "0.81 (SE 0.03)"]
    assert shown.attrs["align"] == ["l", "r", "r", "l"]


def test_model_tables_show_both_p_values_and_mark_the_main_one():
    est = estimates().assign(p_cluster=0.04, p_bootstrap=0.21, effective_clusters=4.26, treated_counties=27,
                             inference="score_bootstrap")
    est["p_value"] = est["p_bootstrap"]
    main = tables.main_estimates(est.loc[est["group"] == "all"], "synthetic")
    assert main["p, clustered"].iloc[0] == "0.040" and main["p, score bootstrap (main)"].iloc[0] == "0.210"
    assert main["G*"].iloc[0] == "4.3" and main["Treated counties"].iloc[0] == "27"
    assert main.attrs["align"] == ["l"] + ["r"] * (len(main.columns) - 2) + ["l"]
    main = tables.main_estimates(est.assign(inference="cluster").loc[est["group"] == "all"], "synthetic")
    assert "p, clustered (main)" in main and "p, score bootstrap" in main
    sub = tables.subgroup_estimates(est.loc[est["group"].isin(GROUPS)], "synthetic")
    assert sub.iloc[0, 1] == "1.20 (1.00–1.44), p = 0.040 clustered, 0.210 bootstrap, G* = 4.3"
    sub = tables.subgroup_estimates(est.assign(p_cluster=0.0004).loc[est["group"].isin(GROUPS)], "synthetic")
    assert sub.iloc[0, 1] == "1.20 (1.00–1.44), p < 0.001 clustered, 0.210 bootstrap, G* = 4.3"


def test_few_cluster_size_display_sets_both_methods_and_the_main_study_side_by_side():
    from fedlocal.report import fewcluster

    size = pd.DataFrame({"policy": ["tfm", "tfm"], "group": ["latino", "latino"], "method": ["cluster", "score_bootstrap"],
                         "n_fits": [100, 100], "rejections": [28, 5], "size": [0.28, 0.05],
                         "size_low": [0.20, 0.02], "size_high": [0.37, 0.11],
                         "median_effective_clusters": [4.46, 4.46], "treated_counties": [9.0, 9.0]})
    main = pd.DataFrame({"world": ["null"], "estimator": ["hybrid_logit"], "policy": ["tfm"], "group": ["latino"],
                         "rejection_rate": [0.17], "rejection_low": [0.124], "rejection_high": [0.228]})
    shown = fewcluster.size_display(size, 100, 0.25, main, 1.0).iloc[0]
    assert shown["Size, clustered Wald (%)"] == "28.0% (20.0–37.0)"
    assert shown["Size, score bootstrap (%)"] == "5.0% (2.0–11.0)"
    assert shown["Size, clustered Wald, main study at scale 1 (%)"] == "17.0% (12.4–22.8)"
    assert shown["Treated counties"] == "9" and shown["Median G*"] == "4.5" and shown["Panels"] == "100 at scale 0.25"
