"""County policies aggregated to metropolitan areas, year by year, and MSA adoption years."""

import pandas as pd
import pytest

from fedlocal import FedlocalError
from fedlocal.exposure import metro
from fedlocal.vocab import POLICIES


def _panel(months, fips, **policies):
    return pd.DataFrame({"fips": fips, "month": months, **policies})


def test_county_year_exposure_codes_years_outside_the_policy_data():
    months = [f"{y}-{m:02d}" for y in range(2005, 2015) for m in range(1, 13)]
    on = [1 if mo >= "2014-07" else 0 for mo in months]
    p = _panel(months, "06037", sc=[1 if mo >= "2009-01" else 0 for mo in months], jem=on, tfm=[0] * 120, antidetainer=on)
    e = metro.county_year_exposure(p).set_index("year")
    assert (e.loc[2000:2004, list(POLICIES)] == 0).all().all()
    assert e.loc[2014, "antidetainer"] == 0.5 and e.loc[2009, "sc"] == 1.0
    assert e.loc[2015:2017, "sc"].isna().all() and e.loc[2015:2017, "antidetainer"].isna().all()
    assert (e.loc[2015:2017, "jem"] == 1).all()
    assert (e.loc[2015:2017, "tfm"] == 0).all()


def test_county_year_exposure_names_missing_policy_columns():
    with pytest.raises(FedlocalError, match="antidetainer"):
        metro.county_year_exposure(_panel(["2005-01"], "06037", sc=[0], jem=[0], tfm=[0]))


def test_msa_exposure_is_population_weighted_and_adoption_uses_the_share():
    ce = pd.DataFrame({"fips": ["06037", "06059"] * 2, "year": [2010, 2010, 2011, 2011],
                       "sc": [1.0, 0.0, 1.0, 1.0], "jem": 0.0, "tfm": 0.0, "antidetainer": [0.0, 1.0, 0.0, 1.0]})
    ids = pd.DataFrame({"msa_id": ["LA"], "counties": [("06037", "06059")]})
    ex = metro.msa_exposure(ids, ce).set_index("year")
    share_la = 9_818_605 / (9_818_605 + 3_010_232)
    assert ex.loc[2010, "sc"] == pytest.approx(share_la, rel=1e-3)
    assert ex.loc[2011, "sc"] == 1.0
    assert metro.adoption_years(ex.reset_index(), "sc", 0.5)["LA"] == 2010
    assert metro.adoption_years(ex.reset_index(), "antidetainer", 0.5)["LA"] == 0
    assert metro.adoption_years(ex.reset_index(), "antidetainer", 0.2)["LA"] == 2010


def test_link_exposure_adds_each_years_exposure_and_the_adoption_years():
    exposure = pd.DataFrame({"msa_id": ["A", "A", "B", "B"], "year": [2010, 2011, 2010, 2011], "sc": [0.2, 0.9, 1.0, 1.0],
                             "jem": 0.0, "tfm": 0.0, "antidetainer": [0.0, 0.0, 0.0, 0.6]})
    crime = pd.DataFrame({"msa_id": ["A", "B"], "year": [2011, 2010], "violent_rate": [300.0, 250.0]})
    linked = metro.link_exposure(crime, exposure, adoption_share=0.5)
    assert linked[["msa_id", "year", "violent_rate"]].equals(crime)
    assert linked.sc.tolist() == [0.9, 1.0] and linked.sc_adoption_year.tolist() == [2011, 2010]
    assert linked.antidetainer_adoption_year.tolist() == [0, 2011]
    assert linked.sc_first_exposure_year.tolist() == [2010, 2010]


def test_no_msa_adopts_anti_detainer_after_the_policy_data_end():
    """A county that adopts in October 2014 is a quarter exposed in 2014; carrying December 2014 forward made
    its MSA 'adopt' in 2015. The policy data end in 2014, so no adoption year may come after it."""
    months = [f"{y}-{m:02d}" for y in range(2005, 2015) for m in range(1, 13)]
    late = [1 if mo >= "2014-10" else 0 for mo in months]
    p = pd.concat([_panel(months, "06037", sc=1, jem=0, tfm=0, antidetainer=late),
                   _panel(months, "06059", sc=1, jem=0, tfm=0, antidetainer=0)])
    ids = pd.DataFrame({"msa_id": ["LA", "OC"], "counties": [("06037",), ("06059",)]})
    exposure = metro.msa_exposure(ids, metro.county_year_exposure(p))
    last = metro.policy_data_last_year(exposure, "antidetainer")
    assert last == 2014
    adoption = metro.adoption_years(exposure, "antidetainer", 0.5)
    assert adoption.max() <= last and adoption["LA"] == 0
    assert metro.first_exposure_years(exposure, "antidetainer")["LA"] == 2014
