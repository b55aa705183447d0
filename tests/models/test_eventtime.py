"""Event-time steps on hand-built dates, and a known answer: no pre-trend, a planted post effect."""

import numpy as np
import pandas as pd

from fedlocal.models import eventtime
from fedlocal.models.design import prepare
from fixtures.simulate import simulate


def test_steps_follow_the_reference_period():
    starts = pd.Series({"00001": "2010-01"})
    frame = pd.DataFrame({"county_fips": ["00001"] * 7 + ["00002"],
                          "interview_month": ["2009-07", "2009-08", "2010-01", "2010-02", "2010-07", "2010-08",
                                              "2012-01", "2010-02"]})
    steps = eventtime.event_steps(frame, starts)
    # 2009-07: reference Jan-Jun 2009, a full period before the last pre-start one -> -2;
    # 2009-08 and 2010-01: last periods wholly before the start -> -1; 2010-02..07 include it -> 0
    np.testing.assert_array_equal(steps[:7], [-2, -1, -1, 0, 0, 1, 3])
    assert np.isnan(steps[7])
    d = eventtime.event_dummies(steps, 2)
    assert list(d) == ["e-2", "e+0", "e+1", "e+2"]
    assert d["e+2"][6] == 1 and d["e-2"][0] == 1 and sum(v[7] for v in d.values()) == 0


def test_start_months_from_panel():
    panel = pd.DataFrame({"fips": ["a", "a", "a", "b"], "month": ["2008-01", "2008-02", "2008-03", "2008-01"],
                          "sc": [0, 1, 1, 0]})
    assert eventtime.start_months(panel, "sc").to_dict() == {"a": "2008-02"}


def test_leads_near_zero_and_lags_near_planted():
    s = simulate(40_000, 150, {"sc": {g: 1.8 for g in ("latino", "black", "white", "other")}}, seed=8, person_sd=0.5)
    frame = prepare(s.interviews, s.covariates)
    coefs, summary = eventtime.event_time(frame, s.panel, "sc", 3)
    assert summary["estimated"] and summary["lead_df"] == 2
    assert summary["lead_p"] > 0.001
    post = coefs.loc[coefs["event_time"] >= 0]
    pooled = np.average(post["estimate"], weights=1 / post["se"] ** 2)
    assert abs(pooled - np.log(1.8)) < 0.2
    assert coefs.loc[coefs["event_time"] == -1, "odds_ratio"].item() == 1.0
    _, narrow = eventtime.event_time(frame, s.panel, "sc", 3, sample="exposure_changes")
    assert narrow["persons"] < summary["persons"]  # persons whose event step never changes are kept



def test_event_time_by_policy_collects_estimates_and_summaries():
    s = simulate(20_000, 60, {"sc": {"latino": 1.5}}, seed=9, person_sd=0.5)
    frame = prepare(s.interviews, s.covariates)
    coefs, summary = eventtime.event_time_by_policy(frame, s.panel, 2, policies=("sc", "jem"))
    assert summary["policy"].tolist() == ["sc", "jem"] and summary.set_index("policy").loc["sc", "estimated"]
    assert set(coefs["policy"]) == set(summary.loc[summary["estimated"], "policy"])
    tiny = simulate(300, 10, seed=9)
    none, summary = eventtime.event_time_by_policy(prepare(tiny.interviews, tiny.covariates), tiny.panel, 2)
    assert none.empty and not summary["estimated"].any() and len(summary) == 4


def test_month_index_parses_each_label_once_with_the_same_result():
    from fedlocal.models.eventtime import _month_index

    labels = np.array(["2005-01", "2016-12", "2005-01", "2010-07"] * 3, dtype=object)
    expected = np.array([int(s[:4]) * 12 + int(s[5:7]) - 1 for s in labels])
    np.testing.assert_array_equal(_month_index(labels), expected)
    np.testing.assert_array_equal(_month_index(pd.Series(labels)), expected)
    np.testing.assert_array_equal(_month_index(list(labels)), expected)
