"""The synthetic NCVS panel: size, rotation design, calibration targets, planted effects, determinism."""

import numpy as np
import pandas as pd
import pytest

from fedlocal.data.ncvs import schema, synthetic

DESIGN = synthetic.Design(n_counties=150)  # a PPS sample of 150 of the 400 test counties


@pytest.fixture(scope="module")
def counties():
    rng = np.random.default_rng(7)
    n = 400
    pop = np.round(np.exp(rng.normal(10.5, 1.3, n))).astype(int)
    pop[:3] = [9_800_000, 4_000_000, 2_500_000]  # large counties: certainty
    lat = rng.uniform(0, 60, n)
    blk = rng.uniform(0, 30, n)
    wht = np.clip(100 - lat - blk - rng.uniform(2, 10, n), 0, None)
    return pd.DataFrame({"fips": [f"{1000 + i:05d}" for i in range(n)], "population": pop, "pct_latino": lat,
                         "pct_black": blk, "pct_white_nh": wht, "poverty_rate": rng.uniform(5, 30, n),
                         "median_hh_income": rng.uniform(30_000, 90_000, n), "pct_owner": rng.uniform(40, 85, n)})


@pytest.fixture(scope="module")
def spells(counties):
    half = counties["fips"].iloc[::2]
    return pd.DataFrame({"fips": half, "program": "sc", "start": "2009-06-15", "end": ""})


@pytest.fixture(scope="module")
def sample(counties, spells):
    return synthetic.generate(counties, spells, scale=0.03, seed=11, design=DESIGN)


def test_planned_counts_at_paper_scale():
    p = synthetic.planned_counts(1.0)
    assert abs(p["persons"] / 354_000 - 1) < 0.05
    assert abs(p["interviews"] / 1_006_000 - 1) < 0.05


def test_schema_and_determinism(counties, spells, sample):
    df, _ = sample
    schema.validate(df, "synthetic", require_exposure=True)
    again, _ = synthetic.generate(counties, spells, scale=0.03, seed=11, design=DESIGN)
    pd.testing.assert_frame_equal(df, again)
    other, _ = synthetic.generate(counties, spells, scale=0.03, seed=12, design=DESIGN)
    assert not other["violent"].equals(df["violent"]) or len(other) != len(df)


def test_calibration_targets_met(sample):
    df, info = sample
    checks = synthetic.calibration_checks(df, info, 0.03)
    assert checks["met"].all(), checks[~checks["met"]].to_string()


def test_rotation_design(sample):
    df, info = sample
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
    top = info["sampled_counties"]
    assert {"01000", "01001", "01002"} <= set(top.loc[top["certainty"], "fips"])


def test_planted_effect_raises_exposed_latino_risk(counties, spells):
    base, _ = synthetic.generate(counties, spells, scale=0.03, seed=5, planted_odds_ratios={})
    hit, _ = synthetic.generate(counties, spells, scale=0.03, seed=5, planted_odds_ratios={"sc": {"latino": 3.0}})
    cell = (base["race_eth"] == "latino") & (base["sc"] == 1)
    ratio = hit.loc[cell, "violent"].mean() / base.loc[cell, "violent"].mean()
    other = (base["race_eth"] == "white") & (base["sc"] == 1)
    assert ratio > 1.8
    assert hit.loc[other, "violent"].mean() <= base.loc[other, "violent"].mean()  # baseline recalibrated, no effect planted


def test_planted_table_and_bad_groups():
    t = synthetic.planted_table({"sc": {"latino": 1.2}})
    assert len(t) == 16 and t.set_index(["policy", "group"]).loc[("sc", "latino"), "odds_ratio"] == 1.2
    assert (t["odds_ratio"] == 1.0).sum() == 15
    with pytest.raises(synthetic.SyntheticInputError, match="unknown group"):
        synthetic.planted_table({"sc": {"asian": 1.2}})


def test_parquet_keeps_the_source_label(sample, tmp_path):
    df, _ = sample
    path = schema.write(df, tmp_path / "ncvs-interviews.parquet", "synthetic")
    back, source = schema.read(path)
    assert source == "synthetic"
    pd.testing.assert_frame_equal(back, schema.conform(df))


def test_missing_county_columns_are_named(counties, spells):
    with pytest.raises(synthetic.SyntheticInputError, match="pct_black"):
        synthetic.generate(counties.drop(columns="pct_black"), spells, scale=0.01)
