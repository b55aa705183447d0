"""One small synthetic sample (150 of 400 hand-built counties, 3% of the paper's size) shared by the synthetic tests."""

import pytest

from fixtures.synthetic_ncvs import SMALL_DESIGN, county_table, draw, half_under_sc


@pytest.fixture(scope="session")
def counties():
    return county_table()


@pytest.fixture(scope="session")
def spells(counties):
    return half_under_sc(counties)


@pytest.fixture(scope="session")
def sample(counties, spells):
    """(interviews, panel, outcomes) at scale 0.03, seed 11, nothing planted."""
    return draw(counties, spells, scale=0.03, seed=11, design=SMALL_DESIGN)
