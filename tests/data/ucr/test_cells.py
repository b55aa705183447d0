"""Cells of the MSA tables: labels without footnote markers, MSA names and states, numbers."""

import numpy as np

from fedlocal.data.ucr import cells


def test_labels_lose_footnote_markers_and_line_breaks():
    assert cells.clean_label("Akron, OH M.S.A.2, 3") == "Akron, OH M.S.A."
    assert cells.clean_label("Violent\ncrime") == "Violent crime"
    assert cells.clean_label(np.nan) == ""


def test_msa_name_and_states():
    label = "Louisville/Jefferson County, KY-IN M.S.A."
    assert cells.msa_name(label) == "Louisville/Jefferson County, KY-IN"
    assert cells.msa_states(label) == ["KY", "IN"]
    assert cells.msa_states("San Juan-Caguas-Guaynabo, PR M.S.A.") == []  # not one of the 50 states + DC


def test_numbers_dash_is_zero_text_is_missing():
    assert cells.to_number("1,234") == 1234.0 and cells.to_number(7) == 7.0 and cells.to_number("-") == 0.0
    assert np.isnan(cells.to_number(" ")) and np.isnan(cells.to_number(None)) and np.isnan(cells.to_number(True))
