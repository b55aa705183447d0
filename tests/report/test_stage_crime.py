"""Displays and manuscript numbers of stage 06 (police-recorded crime in metro areas), on hand-built inputs."""

import matplotlib
import numpy as np
import pandas as pd

from fedlocal.report import figures, tables, variables

matplotlib.use("Agg")


def _coverage():
    return pd.DataFrame({"year": [2000, 2003, 2010, 2017], "msas_in_table": [280, 362, 366, 381],
                         "with_estimated_total": [270, 350, 352, 370], "with_counties": [279, 361, 365, 380],
                         "linked": [160, 340, 365, 330], "analysis": [150, 300, 350, 320],
                         "pop_share_analysis": [0.4, 0.71, 0.8123, 0.75]})


def _estimates():
    return pd.DataFrame({
        "design": ["TWFE, MSA and year FE, 2003-2014", "Callaway-Sant'Anna, never-treated controls, 2003-2017"],
        "outcome": ["log violent crime rate"] * 2, "term": ["sc", "antidetainer adoption"],
        "estimate": [-0.0681, 0.0213], "se": [0.0156, 0.026], "ci_low": [-0.0988, -0.0296], "ci_high": [-0.0373, 0.0722],
        "p_value": [1.7e-5, 0.413], "n_obs": [3880, 2175], "n_units": [411, 145], "n_treated_units": [400, 33],
        "pretest_p": [np.nan, 0.013], "mde": [np.nan, 0.0728]})


def _staggered(estimate, se, n_units, n_treated, pretest_p):
    return {"overall": {"estimate": estimate, "se": se, "ci_low": estimate - 1.96 * se, "ci_high": estimate + 1.96 * se},
            "n_units": n_units, "n_treated": n_treated, "pretest": {"p_value": pretest_p}, "years": (2004, 2014)}


def test_msa_coverage_display_labels_columns_and_shows_percent():
    display = tables.msa_coverage(_coverage())
    assert list(display.columns)[:2] == ["Year", "MSAs in FBI table"] and display.columns[-1] == "% of US population"
    assert display["% of US population"].tolist() == ["40.0", "71.0", "81.2", "75.0"]


def test_police_crime_estimates_display_blanks_what_a_design_lacks():
    display = tables.police_crime_estimates(_estimates())
    assert display["Policy"].tolist() == ["Secure Communities", "Anti-detainer policy adoption"]
    assert list(display.columns) == ["Design", "Outcome", "Policy", "Estimate", "95% CI", "p", "MSAs", "treated MSAs",
                                     "pre-trend p", "MDE (80% power)"]
    assert display["95% CI"].tolist() == ["[-0.099, -0.037]", "[-0.030, 0.072]"]
    assert display["pre-trend p"].tolist() == ["", "0.013"] and display["MDE (80% power)"].tolist() == ["", "0.073"]
    assert display.attrs["align"] == ["l", "l", "l"] + ["r"] * 7


def test_police_crime_event_study_has_one_panel_per_policy():
    event = pd.DataFrame({"event_time": [-2, -1, 0, 1], "estimate": [0.01, 0.0, -0.05, -0.06], "ci_low": [-0.03, -0.04, -0.09, -0.1],
                          "ci_high": [0.05, 0.04, -0.01, -0.02]})
    fig = figures.police_crime_event_study({"sc": event, "antidetainer": event})
    titles = [axis.get_title() for axis in fig.axes]
    assert titles == ["Secure Communities (not-yet-treated controls)", "Anti-detainer policy (never-treated controls)"]
    assert fig.axes[0].get_ylabel() == "effect on log violent crime rate"


def test_crime_variables_quote_panel_coverage_and_percent_changes():
    panel = pd.DataFrame({"msa_id": ["A", "A", "B"], "year": [2010, 2011, 2010]})
    twfe_log_rate = pd.DataFrame({"term": ["sc", "jem", "tfm"], "estimate": [np.log(0.9), np.log(1.1), 0.0],
                                  "ci_low": [np.log(0.8), np.log(1.0), -0.1], "ci_high": [np.log(0.95), np.log(1.25), 0.1]})
    got = variables.crime(panel, _coverage(), twfe_log_rate, _staggered(np.log(0.95), 0.02, 171, 171, 0.0433),
                          _staggered(0.0, 0.026, 145, 33, 0.013), [(2003, 2014), (2004, 2014), (2010, 2017)], 0.9, 0.5)
    assert got["n_msa_years"] == "3" and got["n_msas"] == "2"
    assert (got["msas_per_year_min"], got["msas_per_year_max"]) == ("300", "350")  # 2000 lies outside the windows
    assert got["pop_share_2010"] == "81.2" and got["match_threshold"] == "0.90" and got["adoption_share"] == "0.50"
    assert (got["sc_twfe_pct"], got["sc_twfe_ci_low_pct"], got["jem_twfe_ci_high_pct"]) == ("-10.0", "-20.0", "25.0")
    assert got["sc_cs_pct"] == "-5.0" and got["ad_cs_pct"] == "0.0" and got["sc_cs_n_msas"] == "171"
    assert got["ad_mde_pct"] == "7.6" and got["ad_treated_msas"] == "33" and got["ad_pretest_p"] == "0.013"


def test_crime_variables_quote_few_cluster_p_values_and_breakdown_values():
    panel = pd.DataFrame({"msa_id": ["A", "A", "B"], "year": [2010, 2011, 2010]})
    twfe_log_rate = pd.DataFrame({"term": ["sc", "jem", "tfm"], "estimate": [np.log(0.9), np.log(1.1), 0.0],
                                  "ci_low": [np.log(0.8), np.log(1.0), -0.1], "ci_high": [np.log(0.95), np.log(1.25), 0.1]})
    few = pd.DataFrame({"outcome": ["log violent crime rate", "log violent crime rate without rape"], "term": ["jem", "jem"],
                        "p_value": [0.0156, 0.0079], "wild_bootstrap_p": [0.03, 0.02], "randomization_p": [0.0405, 0.011],
                        "n_treated_units": [34, 34]})
    honest = pd.DataFrame({"policy": ["sc", "sc", "antidetainer"], "breakdown_m_bar": [0.613, 0.613, 0.0]})
    got = variables.crime(panel, _coverage(), twfe_log_rate, _staggered(np.log(0.95), 0.02, 171, 171, 0.0433),
                          _staggered(0.0, 0.026, 145, 33, 0.013), [(2003, 2014), (2004, 2014), (2003, 2014)], 0.9, 0.5,
                          few_cluster=few, honest=honest)
    assert (got["jem_wild_p"], got["jem_ri_p"], got["jem_no_rape_cluster_p"]) == ("0.030", "0.041", "0.008")
    assert got["jem_treated_msas"] == "34" and got["sc_breakdown_m_bar"] == "0.61" and got["ad_breakdown_m_bar"] == "0.00"
