"""County text of the MSA tables as 2010 FIPS codes."""

from fedlocal.data.ucr import county_text


def test_county_text_grammar():
    items = county_text.parse_county_text("(Includes Colonial Heights and Richmond Cities, and Charles City, James City, "
                                          "King and Queen, and Bedford Counties.)")
    fips, missing, _ = county_text.match_counties(items, ["VA"])
    assert missing == [] and fips == sorted(["51570", "51760", "51036", "51095", "51097", "51019"])
    items = county_text.parse_county_text("Includes Crittenden County, AR; DeSoto, Marshall, Tate, and Tunica Counties; MS, "
                                          "and Fayette, Shelby, and Tipton Counties, TN")
    fips, missing, _ = county_text.match_counties(items, ["TN", "MS", "AR"])
    assert missing == [] and "28033" in fips and "47157" in fips and "05035" in fips
