from fedlocal.data import counties


def test_frame_is_the_2010_vintage():
    f = counties.county_frame()
    assert len(f) == 3143 and f["fips"].is_unique
    assert {"46113", "02270", "51515"} <= set(f["fips"])  # 2010 codes that changed later
    assert not {"46102", "02158", "12025"} & set(f["fips"])
    assert set(f["state"]) == set(counties.STATES.values())
    la = f.set_index("fips").loc["06037"]
    assert la["pop2010"] == 9_818_605 and la["state"] == "CA"


def test_to_2010_maps_renamed_and_merged_codes():
    got = counties.to_2010([46102, "2158", "51560", 6037.0, None]).tolist()
    assert got == ["46113", "02270", "51005", "06037", None]
    assert set(counties.FIPS_CHANGES.to_fips) <= set(counties.county_frame()["fips"])
