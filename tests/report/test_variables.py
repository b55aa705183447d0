"""The quoted numbers of stages 03-05, from hand-built results."""

import numpy as np
import pandas as pd

from fedlocal.report import variables
from fedlocal.vocab import POLICIES


def test_ncvs_variables():
    interviews = pd.DataFrame({"person_id": [1, 1, 2, 3], "county_fips": ["01001", "01001", "01003", "01003"],
                               "violent": [1, 0, 0, 0], "weight": [1.0, 1.0, 1.0, 1.0]})
    exposed = pd.DataFrame({"sc": [0.2, 0.9]}, index=[2013, 2014])
    planted = pd.DataFrame({"policy": ["sc"], "group": ["latino"], "odds_ratio": [1.2]})
    v = variables.ncvs(interviews, "synthetic", exposed, planted, "any", 2014)
    assert v["persons"] == "3" and v["interviews"] == "4" and v["counties"] == 2
    assert v["interviews_per_person"] == "1.33" and v["prevalence_all"] == "25.00"
    assert v["exposed_sc_2014"] == "90.0" and v["planted_sc_latino"] == "1.20"
    restricted = variables.ncvs(interviews, "restricted", exposed, None, "any", 2015)
    assert restricted["planted_sc_latino"] == "none" and restricted["exposed_sc_2014"] == "n/a"


def test_model_variables_cover_every_cell():
    estimates = pd.DataFrame([{"policy": p, "group": g, "odds_ratio": 1.1, "ci_low": 0.9, "ci_high": 1.3, "p_value": 0.2,
                               "persons": 10, "interviews": 28, "counties": 5} for p in POLICIES for g in ("all", "latino")])
    pattern = pd.DataFrame({"agrees": [True, False, True]})
    comparison = pd.DataFrame({"covered": [True, True, False]})
    v = variables.models(estimates, pattern, comparison, "synthetic", "county", False)
    assert v["sc_latino_or"] == "1.10" and v["tfm_all_ci"] == "0.90–1.30" and v["jem_all_p"] == "0.200"
    assert (v["pattern_agree"], v["pattern_cells"], v["planted_covered"], v["planted_cells"]) == (2, 3, 2, 3)
    assert v["survey_weights"] == "no"
    assert "planted_cells" not in variables.models(estimates, pattern, comparison, "restricted", "county", True)


def test_robustness_variables():
    conditional = pd.DataFrame([{"policy": p, "group": "all", "odds_ratio": 1.5, "ci_low": 1.0, "ci_high": 2.25,
                                 "persons": 40, "persons_total": 1000, "persons_outcome_varies": 90} for p in POLICIES])
    events = pd.DataFrame({"policy": ["sc"], "estimated": [False], "lead_p": [np.nan]})
    stag = pd.DataFrame({"model": ["callaway_santanna", "cells_twfe", "callaway_santanna_unweighted", "sun_abraham"],
                         "group": ["all"] * 4, "estimate": [0.1234, -0.02, -0.05, 0.3], "ci_low": [0.01, -0.1, -0.2, 0.1],
                         "ci_high": [0.2, 0.05, 0.1, 0.5], "counties": [1200] * 4})
    diffs = pd.DataFrame({"policy": ["sc", "sc"], "comparison": ["latino vs white", "latino = black = white"],
                          "p_value": [0.5, 0.02]})
    v = variables.robustness(conditional, events, stag, diffs, "synthetic", 6)
    assert v["clogit_persons"] == 40 and v["clogit_sc_all_or"] == "1.50" and v["sc_lead_p"] == "not estimated"
    assert v["sc_cs_att"] == "0.123" and v["sc_cs_ci"] == "0.010–0.200" and v["sc_cells_twfe"] == "-0.020"
    assert v["sc_cs_counties"] == "1,200" and v["sc_groups_equal_p"] == "0.020"
    assert v["sc_cs_unweighted_att"] == "-0.050" and v["sc_sun_abraham_ci"] == "0.100–0.500"
    assert not any(k.startswith("ri_") for k in v)  # without the random-intercept comparison: none of its keys
    ri = pd.DataFrame([{"model": m, "group": "all", "policy": p, "odds_ratio": o, "ci_low": 1.0, "ci_high": 2.0}
                       for m, o in (("hybrid_logit", 1.1), ("random_intercept_logit", 1.25)) for p in POLICIES])
    summary = {"persons": 50_000, "interviews": 142_000, "persons_total": 354_000, "sd": 0.812, "sd_se": 0.031,
               "n_quad": 7, "evaluations": 95, "pooled_iterations": 6}
    v = variables.robustness(conditional, events, stag, diffs, "synthetic", 6, (ri, summary))
    assert v["ri_persons"] == "50,000" and v["ri_persons_total"] == "354,000" and v["ri_sd"] == "0.81"
    assert v["ri_sample"] == "a random sample of 50,000 of the 354,000 persons"
    every = variables.robustness(conditional, events, stag, diffs, "synthetic", 6, (ri, {**summary, "persons": 354_000}))
    assert every["ri_sample"] == "all 354,000 persons"
    assert v["ri_sd_se"] == "0.03" and v["ri_nodes"] == 7 and v["ri_evaluations"] == 95 and v["ri_pooled_iterations"] == 6
    assert v["ri_sc_all_or"] == "1.25" and v["ri_pooled_sc_all_or"] == "1.10" and v["ri_tfm_all_ci"] == "1.00–2.00"


def test_model_variables_quote_both_p_values_and_what_the_bootstrap_changes():
    estimates = pd.DataFrame([{"policy": p, "group": g, "odds_ratio": 1.1, "ci_low": 0.9, "ci_high": 1.3,
                               "p_value": 0.01, "p_cluster": 0.01, "p_bootstrap": 0.3 if p == "jem" else 0.02,
                               "effective_clusters": 3.25 if p == "jem" else 40.0, "treated_counties": 9,
                               "inference": "cluster", "bootstrap_draws": 999, "persons": 10, "interviews": 28,
                               "counties": 5} for p in POLICIES for g in ("all", "latino")])
    pattern = pd.DataFrame({"agrees": [True]})
    v = variables.models(estimates, pattern, pd.DataFrame({"covered": [True]}), "synthetic", "county", False)
    assert v["jem_all_p_cluster"] == "0.010" and v["jem_all_p_boot"] == "0.300" and v["jem_latino_gstar"] == "3.2"
    assert v["sc_all_treated"] == "9" and v["bootstrap_draws"] == "999"
    assert (v["cells_significant_cluster"], v["cells_significant_boot"], v["cells_lost_by_boot"]) == (8, 6, 2)
    assert v["inference"] == "the clustered Wald test" and v["gstar_min"] == "3.2"
