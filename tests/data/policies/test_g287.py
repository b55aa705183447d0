"""287(g): the model of an agreement by roster, the agency table, and facts the real rosters must reproduce."""

import os
from pathlib import Path

import pandas as pd
import pytest

from fedlocal import paths
from fedlocal.data.counties import county_frame
from fedlocal.data.policies.g287 import (
    agency_aliases,
    agency_counties,
    agency_key,
    best_guess_agreements,
    g287_spells,
    model_segments,
    secondary_rosters,
)


def test_model_segments_follow_the_latest_roster():
    t = pd.Timestamp
    obs = [(t("2009-02-01"), ("jem", "tfm")), (t("2009-10-28"), ("jem",))]
    assert model_segments(t("2007-02-07"), None, obs, "tfm") == [(t("2007-02-07"), t("2009-10-27"))]
    assert model_segments(t("2007-02-07"), t("2011-09-02"), obs, "jem") == [(t("2007-02-07"), t("2011-09-02"))]


def test_agency_table_maps_agencies_to_frame_counties():
    table = agency_counties()
    assert len(table) == 66
    assert table[("TX", "Carrollton Police Department")] == ("48113", "48085", "48121")
    assert table[("UT", "Washington County Sheriff's Office")] == ("49053",)
    assert {f for counties in table.values() for f in counties} <= set(county_frame()["fips"])


def test_agency_key_normalises_names_and_applies_aliases():
    assert agency_key("Mesa Police Dept.") == "city of mesa police department"
    assert agency_key("Prince William-Manassas Adult Detention Center") == "prince williammanassas regional jail"
    assert agency_key("Washington County Sheriff's Office AR") == "washington county sheriffs office"
    assert set(agency_aliases().values()) >= {agency_key(name) for _, name in agency_counties() if "Mesa" in name}


def test_maricopa_hybrid_in_early_2009_and_jail_only_later(panel):
    mc = panel.loc["04013"]
    assert mc.loc["2009-03", "jem"] == 1 and mc.loc["2009-03", "tfm"] == 1
    assert mc.loc["2011-06", "jem"] == 1 and mc.loc["2011-06", "tfm"] == 0


def test_task_force_ends_by_the_cap(spells):
    tfm = spells[spells["program"] == "tfm"]
    assert (tfm["end"] != "").all() and tfm["end"].max() <= "2012-12-31"
    early = g287_spells(tfm_end_by="2010-06-30")
    assert early.loc[early["program"] == "tfm", "end"].max() <= "2010-06-30"


def _mirror_subset(name):
    """A declared subset file of the shared mirror, or a skip when this machine has no mirror copy of it."""
    folder = os.environ.get(paths.MIRROR_ENV)
    path = Path(folder) / "deportationdata_287g" / name if folder else None
    if path is None or not path.is_file():
        pytest.skip(f"no mirror copy of deportationdata_287g/{name} to compare with")
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_best_guess_selection_reproduces_the_former_subset_file_exactly():
    subset = _mirror_subset("agreements_best_guess_subset_pre2015.csv")
    pd.testing.assert_frame_equal(best_guess_agreements(), subset)


def test_secondary_roster_selection_reproduces_the_former_subset_file_exactly():
    subset = _mirror_subset("secondary_rosters_CRS2009_MPI2010.csv")
    pd.testing.assert_frame_equal(secondary_rosters(), subset)


def test_agreements_are_built_once_but_each_caller_gets_its_own_copy():
    from fedlocal.data.policies.g287 import agreements

    first = agreements()
    first.loc[:, "start"] = pd.Timestamp("1999-01-01")
    again = agreements()
    assert again is not first and (again["start"] > pd.Timestamp("2000-01-01")).all()
