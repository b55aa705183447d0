"""Synthetic outcomes: schema and determinism of the whole chain, planted effects, the planted table and its file."""

import numpy as np
import pandas as pd
import pytest

from fedlocal import FedlocalError
from fedlocal.data.ncvs import schema
from fedlocal.synthetic.outcomes import draw_outcomes, planted_table, read_planted, write_planted
from fedlocal.synthetic.panel import SyntheticInputError
from fixtures.synthetic_ncvs import SMALL_DESIGN, draw


def test_schema_and_determinism(counties, spells, sample):
    df, _, _ = sample
    schema.validate(df, "synthetic", require_exposure=True)
    again, _, _ = draw(counties, spells, scale=0.03, seed=11, design=SMALL_DESIGN)
    pd.testing.assert_frame_equal(df, again)
    other, _, _ = draw(counties, spells, scale=0.03, seed=12, design=SMALL_DESIGN)
    assert not other["violent"].equals(df["violent"]) or len(other) != len(df)


def test_planted_effect_raises_exposed_latino_risk(counties, spells):
    base, _, _ = draw(counties, spells, scale=0.03, seed=5, planted_odds_ratios={})
    hit, _, _ = draw(counties, spells, scale=0.03, seed=5, planted_odds_ratios={"sc": {"latino": 3.0}})
    cell = (base["race_eth"] == "latino") & (base["sc"] == 1)
    ratio = hit.loc[cell, "violent"].mean() / base.loc[cell, "violent"].mean()
    other = (base["race_eth"] == "white") & (base["sc"] == 1)
    assert ratio > 1.8
    assert hit.loc[other, "violent"].mean() <= base.loc[other, "violent"].mean()  # baseline recalibrated, no effect planted


def test_outcomes_need_the_exposure_linked_first(counties, sample):
    _, panel, _ = sample
    with pytest.raises(SyntheticInputError, match="link exposure"):
        draw_outcomes(panel, panel.interviews, counties, np.random.default_rng(0))


def test_planted_table_and_bad_groups():
    t = planted_table({"sc": {"latino": 1.2}})
    assert len(t) == 16 and t.set_index(["policy", "group"]).loc[("sc", "latino"), "odds_ratio"] == 1.2
    assert (t["odds_ratio"] == 1.0).sum() == 15
    with pytest.raises(SyntheticInputError, match="unknown group"):
        planted_table({"sc": {"asian": 1.2}})


def test_planted_file_round_trip_and_restricted_header(tmp_path):
    path = write_planted(planted_table({"sc": {"latino": 1.2}}), tmp_path / "planted.csv")
    back = read_planted(path, "synthetic")
    assert back.set_index(["policy", "group"]).loc[("sc", "latino"), "odds_ratio"] == 1.2
    assert write_planted(None, tmp_path / "none.csv").read_text() == "policy,group,odds_ratio\n"


def test_planted_only_for_synthetic(tmp_path):
    (tmp_path / "p.csv").write_text("policy,group,odds_ratio\nsc,latino,1.2\n")
    assert read_planted(tmp_path / "p.csv", "restricted") is None
    assert read_planted(tmp_path / "p.csv", "synthetic")["odds_ratio"].item() == 1.2
    (tmp_path / "q.csv").write_text("policy,odds_ratio\nsc,1.2\n")
    with pytest.raises(FedlocalError, match="lacks columns"):
        read_planted(tmp_path / "q.csv", "synthetic")
    with pytest.raises(FedlocalError, match="notebook 03"):
        read_planted(tmp_path / "missing.csv", "synthetic")
