"""Displays and manuscript numbers of stage 02 (county covariates and adoption), on hand-built inputs."""

import matplotlib
import numpy as np
import pandas as pd

from fedlocal.models.adoption import BALANCE_COVARIATES, HazardFit
from fedlocal.report import figures, tables, variables

matplotlib.use("Agg")


def _balance():
    covariates = list(BALANCE_COVARIATES)
    rows = {"covariate": ["counties"] + covariates, "all": [3143] + [0.5] + [10.0] * (len(covariates) - 1)}
    for name, n in (("287(g) jail", 49), ("SC by 2010", 892)):
        rows[f"{name}: adopters"] = [n] + [854.6] + [15.7] * (len(covariates) - 1)
        rows[f"{name}: others"] = [3143 - n] + [80.2] + [7.1] * (len(covariates) - 1)
        rows[f"{name}: smd"] = [np.nan] + [0.7] + [-0.25] * (len(covariates) - 1)
    return pd.DataFrame(rows)


def _hazard():
    rows = []
    for model, n in (("287(g)", 58), ("Secure Communities", 3035)):
        rows.append((model, "pct_latino", "10 points of % Latino", 1.11, 0.75, 1.65, 0.6, n, 18690))
        rows.append((model, "log_population", "log population (x e = 2.7 times larger)", np.nan, np.nan, np.nan, np.nan, n, 18690))
    return pd.DataFrame(rows, columns=["model", "term", "label", "odds_ratio", "ci_low", "ci_high", "p_value", "n_events",
                                       "n_county_years"])


def test_adopter_balance_display_shows_adopters_and_smd_per_group():
    got = tables.adopter_balance(_balance())
    assert list(got.columns) == ["Covariate (2005)", "All counties", "287(g) jail: adopters", "287(g) jail: SMD",
                                 "SC by 2010: adopters", "SC by 2010: SMD"]
    assert got.iloc[0].tolist() == ["counties", "3,143", "49", "", "892", ""]
    assert got.iloc[1].tolist() == ["population (thousands)", "0.50", "854.6", "0.70", "854.6", "0.70"]
    assert got.loc[2, "287(g) jail: SMD"] == "-0.25"


def test_adoption_hazard_display_has_one_column_per_model_and_a_sample_row():
    got = tables.adoption_hazard(_hazard())
    assert list(got.columns) == ["Covariate (per unit)", "287(g): odds ratio (95% CI)", "Secure Communities: odds ratio (95% CI)"]
    assert got.iloc[0].tolist() == ["10 points of % Latino", "1.11 (0.75–1.65)", "1.11 (0.75–1.65)"]
    assert got.iloc[1, 0] == "log population (2.7x larger)" and got.iloc[1, 1] == "–"
    assert got.iloc[-1].tolist() == ["entries / county-years at risk", "58 / 18,690", "3,035 / 18,690"]


def test_adoption_hazard_figure_puts_each_model_in_the_legend():
    table = pd.DataFrame({"term": ["a", "b"], "label": ["A", "B"], "odds_ratio": [1.5, 0.8], "ci_low": [1.1, 0.5],
                          "ci_high": [2.0, 1.3], "p_value": [0.01, 0.4]})
    fits = {name: HazardFit(table, 100, 10, n, 5, [2008], []) for name, n in (("287(g)", 58), ("Secure Communities", 3035))}
    fig = figures.adoption_hazard(fits)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["287(g) (58 entries)", "Secure Communities (3,035 entries)"]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["A", "B"]


def test_county_variables_quote_the_panel_models_and_adopters():
    panel = pd.DataFrame({"fips": ["06037", "06037", "00001", "00001"], "year": [2005, 2014, 2005, 2014],
                          "border": [False, False, True, True], "new_destination": [False] * 4, "metro": [1, 1, 0, 0],
                          "unemployment_rate": [5.4, 8.3, np.nan, 6.0], "pct_foreign_born": [35.6, 35.1, 1.0, 1.0]})
    balance = _balance().rename(columns=lambda c: c.replace("287(g) jail", "anti-detainer"))
    for name in ("287(g) jail", "287(g) task force"):
        for part in ("adopters", "others", "smd"):
            balance[f"{name}: {part}"] = balance[f"SC by 2010: {part}"]
    got = variables.counties(panel, _hazard(), balance, 22)
    assert got["counties_in_panel"] == 2 and got["county_years"] == 4 and got["unemployment_missing_county_years"] == 1
    assert got["la_foreign_born_2005"] == "35.6" and got["la_unemployment_2014"] == "8.3"
    assert got["g287_entries"] == 58 and got["sc_county_years"] == 18690
    assert got["g287_or_pct_latino"] == "1.11" and got["sc_ci_pct_latino"] == "0.75–1.65"
    assert "g287_or_log_population" not in got  # not estimable: not quoted
    assert got["sc_early_adopters"] == 892 and got["jem_population_k_adopters"] == "855"
    assert got["antidetainer_pct_latino_others"] == "7.1" and got["border_sc_by_2010"] == "22"
