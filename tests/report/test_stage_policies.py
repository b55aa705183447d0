"""Displays and manuscript numbers of stage 01 (policy timelines), on hand-built inputs."""

import matplotlib
import pandas as pd

from fedlocal.report import figures, tables, variables
from fedlocal.report.formatting import fmt_month

matplotlib.use("Agg")

SPELLS = pd.DataFrame({"fips": ["a", "b", "a", "b", "a"], "program": ["sc", "sc", "jem", "tfm", "antidetainer"],
                       "start": ["2009-03-01", "2008-10-27", "2007-01-01", "2008-01-01", "2013-01-01"],
                       "end": ["", "", "", "2009-12-31", ""]})
PANEL = pd.DataFrame({"fips": ["a", "a", "b", "b"], "month": ["2014-11", "2014-12"] * 2, "sc": [0, 1, 1, 1],
                      "jem": [1, 1, 0, 0], "tfm": [0, 0, 1, 0], "antidetainer": [1, 1, 0, 0]})
AGREE = pd.DataFrame({"program": ["jem", "tfm", "any_287g"], "county_months": [10, 10, 10],
                      "agree_share": [0.9, 0.8, 0.95], "on_either": [4, 2, 5], "agree_when_on_share": [0.5, 0.0, 0.6],
                      "counties_ours": [1, 1, 2], "counties_other": [1, 0, 1]})


def test_fmt_month_names_the_month():
    assert fmt_month("2013-01") == "January 2013"


def test_policy_coverage_display_is_wide_year_by_program_with_full_labels():
    by_year = pd.DataFrame({"program": ["sc", "jem", "sc", "jem"], "year": [2012, 2012, 2013, 2013],
                            "counties_december": [3037, 49, 3143, 40], "counties_any_month": [3037, 50, 3143, 41],
                            "population_december": [299_112_345, 25_000_000, 310_000_000, 24_000_000],
                            "population_share_december": [0.969, 0.081, 1.0, 0.077]})
    got = tables.policy_coverage(by_year)
    assert list(got.columns) == ["Year", "Secure Communities: counties", "Secure Communities: % of population",
                                 "287(g) jail model: counties", "287(g) jail model: % of population"]
    assert got.iloc[0].tolist() == [2012, "3,037", "96.9", "49", "8.1"]
    assert got["Year"].tolist() == [2012, 2013] and got.attrs["align"] == ["l", "r", "r", "r", "r"]


def test_east_agreement_display_formats_shares_as_percent():
    got = tables.east_agreement(AGREE)
    assert got["Program"].tolist() == ["287(g) jail model", "287(g) task force", "Any 287(g) agreement"]
    assert got.loc[0, "% agree"] == "90.0" and got.loc[0, "% agree when on in either"] == "50.0"
    assert got.loc[0, "Units compared"] == "10" and got.loc[0, "Counties (other)"] == "1"
    wide = tables.east_agreement(AGREE.assign(counties_ours=[2993, 1, 2]))
    assert wide.loc[0, "Counties (ours)"] == "2,993"  # counts with commas in every column (the SC row's 2993)


def test_policy_coverage_figure_draws_one_line_per_program():
    cov = pd.DataFrame({p: [0.0, 0.5] for p in ["sc", "jem", "tfm", "antidetainer"]}, index=["2005-01", "2005-02"])
    fig = figures.policy_coverage(cov)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["Secure Communities", "287(g) jail model",
                                                             "287(g) task force", "Anti-detainer policy"]
    assert ax.get_ylim() == (0, 1.02)


def test_policy_variables_quote_dates_counts_and_agreement():
    events = pd.DataFrame({"row_id": ["AD1", "AD2", "AD3"], "date_used": ["2013-01-01", "", "2014-01-01"]})
    got = variables.policies(SPELLS, PANEL, events, AGREE, {"share_same_month": 0.97, "counties_both": 2993})
    assert got["sc_first_activation"] == "2008-10-27"
    assert got["sc_full_coverage_month"] == "December 2014"
    assert got["peak_287g_counties"] == 2 and got["peak_287g_month"] == "November 2014"
    assert got["antidetainer_events"] == "3" and got["antidetainer_events_undated"] == "1"
    assert got["antidetainer_counties_2014"] == "1"
    assert got["sc_counties"] == "2" and got["jem_spells"] == "1" and got["tfm_counties"] == "1"
    assert got["sc_white_monthly_agree_pct"] == "97.0" and got["sc_counties_both_files"] == "2,993"
    assert got["east_agree_any_287g_pct"] == "95.0" and got["east_agree_when_on_tfm_pct"] == "0.0"
