"""The synthetic NCVS panel: size, rotation design, county sample, determinism, input errors."""

import numpy as np
import pandas as pd
import pytest

from fedlocal.data.ncvs import schema
from fedlocal.synthetic import panel as synthetic_panel
from fedlocal.synthetic.panel import SyntheticInputError, draw_panel, planned_counts
from fixtures.synthetic_ncvs import SMALL_DESIGN


def test_planned_counts_at_paper_scale():
    p = planned_counts(1.0)
    assert abs(p["persons"] / 354_000 - 1) < 0.05
    assert abs(p["interviews"] / 1_006_000 - 1) < 0.05


def test_panel_is_in_the_schema_without_outcomes_and_deterministic(counties):
    first = draw_panel(counties, 0.02, np.random.default_rng(3), design=SMALL_DESIGN)
    df = first.interviews
    assert list(df.columns) == [c for c in schema.BASE_COLUMNS if c not in ("violent", "violent_count")]
    schema.validate(df.assign(violent=0, violent_count=0), "synthetic panel")
    again = draw_panel(counties, 0.02, np.random.default_rng(3), design=SMALL_DESIGN)
    pd.testing.assert_frame_equal(df, again.interviews)
    np.testing.assert_array_equal(first.person_propensity, again.person_propensity)
    assert len(first.person_propensity) >= df["person_id"].max()  # one score per person (index person_id - 1)
    assert len(first.county_propensity) == len(first.counties)


def test_rotation_design(sample):
    df, panel, _ = sample
    d = df.sort_values(["person_id", "interview_month"])
    month = pd.PeriodIndex(d["interview_month"], freq="M").astype("int64")
    same = d["person_id"].to_numpy()[1:] == d["person_id"].to_numpy()[:-1]
    gap = np.diff(month)[same]
    assert (gap % 6 == 0).all() and (gap > 0).all()  # interviews every 6 months (missed ones skipped)
    step = np.diff(d["interview_number"].to_numpy().astype(int))[same]
    assert (step == gap // 6).all()  # time in sample follows the calendar
    assert set(d["interview_number"]) == set(range(1, 8))
    first = d.groupby("person_id")["interview_number"].first()
    assert (first[d.groupby("person_id")["year"].first() == 2005] > 1).mean() > 0.5  # panels already under way in 2005
    per_month = d.groupby("interview_month").size()
    assert per_month.max() / per_month.min() < 1.4  # rotation spreads interviews evenly
    assert d.groupby("person_id")["household_id"].nunique().max() == 1  # movers are not followed
    top = panel.counties
    assert {"01000", "01001", "01002"} <= set(top.loc[top["certainty"], "fips"])


def test_categorical_draws_follow_the_probabilities():
    rng = np.random.default_rng(1)
    draws = synthetic_panel.categorical(rng, np.tile([0.2, 0.0, 0.8], (20_000, 1)))
    assert set(np.unique(draws)) == {0, 2}
    assert abs((draws == 2).mean() - 0.8) < 0.02


def test_missing_county_columns_are_named(counties):
    with pytest.raises(SyntheticInputError, match="pct_black"):
        draw_panel(counties.drop(columns="pct_black"), 0.01, np.random.default_rng(0))
