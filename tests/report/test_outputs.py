"""Saved outputs: pipe tables, the alignment a display carries, data CSVs, variables refuse raw floats."""

import pandas as pd
import pytest

from fedlocal.paths import Layout
from fedlocal.report import outputs


def test_pipe_table_escapes_and_blanks_missing():
    text = outputs.pipe_table(pd.DataFrame({"a": ["x|y"], "b": [float("nan")]}))
    assert text == "| a | b |\n|:---|---:|\n| x\\|y |  |\n"


def test_save_table_uses_the_alignment_of_the_display(tmp_path):
    layout = Layout.at(tmp_path)
    display = pd.DataFrame({"a": ["1"], "b": ["2"]})
    display.attrs["align"] = ["r", "l"]
    md = outputs.save_table(pd.DataFrame({"a": [1.0], "b": [2.0]}), layout, "t", display=display)
    assert md.read_text().splitlines()[1] == "|---:|:---|"
    assert (layout.tables / "t.csv").read_text() == "a,b\n1,2\n"


def test_save_data_and_variables(tmp_path):
    layout = Layout.at(tmp_path)
    path = outputs.save_data(pd.DataFrame({"x": [1 / 3]}), layout, "d")
    assert path.read_text() == "x\n0.3333333333\n"
    with pytest.raises(TypeError, match="format floats"):
        outputs.save_variables(layout, "s", {"v": 0.5})
    assert "v: '0.50'" in outputs.save_variables(layout, "s", {"v": "0.50"}).read_text()
