"""MSA identity over time by county composition, and coverage by year."""

import pandas as pd
import pytest

from fedlocal.data.ucr import UcrError, identity


def test_overlap_and_link_thresholds():
    pop = pd.Series({"a": 90.0, "b": 10.0, "c": 50.0})
    assert identity.overlap(("a", "b"), ("a",), pop) == pytest.approx(0.9)
    assert identity.overlap(("a",), ("c",), pop) == 0.0
    with pytest.raises(UcrError):
        identity.link_msas(pd.DataFrame({"year": [2010], "counties": [("06037",)], "msa_name": ["x"]}), threshold=0.5)


def test_overlap_does_not_depend_on_the_order_of_the_lists():
    pop = {c: 0.1 * (i + 1) for i, c in enumerate("abcdefgh")}  # fractional: a sum's order shows in its last bits
    forward = identity.overlap(tuple("abcdef"), tuple("cdefgh"), pop)
    assert identity.overlap(tuple("fedcba"), tuple("hgfedc"), pop) == forward


def test_every_year_links_to_an_identity(all_years):
    linked = identity.link_msas(all_years, threshold=0.9)
    cov = identity.coverage_by_year(linked)
    assert (cov.set_index("year").loc[2005:2014, "linked"] == cov.set_index("year").loc[2005:2014, "with_counties"]).all()
    assert cov.set_index("year").loc[2003:2017, "analysis"].between(290, 360).all()
    assert cov.set_index("year").loc[2000:2002, "analysis"].between(140, 200).all()  # 1990s MSAs: many dropped
    strict = identity.coverage_by_year(identity.link_msas(all_years, threshold=0.99))
    assert strict.linked.sum() <= cov.linked.sum()


def test_anchor_identities_fold_a_list_into_a_chosen_one_it_shares_a_county_with():
    """A list folds only into a chosen list it overlaps by the threshold; one sharing no county stays its own."""
    from fedlocal.data.counties import county_frame

    big, small, other = county_frame().sort_values("pop2010", ascending=False)["fips"].iloc[:3]
    msa = pd.DataFrame({"year": [2005, 2006, 2007, 2008],
                        "counties": [(big,), (big,), (big, small), (other,)],
                        "msa_name": ["Big", "Big", "Big and small", "Other"]})
    anchors = identity.anchor_compositions(msa, threshold=0.5)
    assert list(anchors.msa_id) == ["Big", "Other"]
    assert list(identity.anchor_compositions(msa, threshold=0.99).msa_id) == ["Big", "Big and small", "Other"]
