"""The MSA x year analysis panel."""

import numpy as np
import pandas as pd
import pytest

from fedlocal.data.ucr.panel import analysis_panel


def test_only_linked_rows_with_a_total_and_rates_per_100000():
    linked = pd.DataFrame({"msa_id": ["B", "A", "", "A"], "year": [2010, 2011, 2010, 2010],
                           "population": [200_000, 100_000, 50_000, 100_000], "violent": [400.0, np.nan, 10.0, 0.0],
                           "violent_legacy_free": [300.0, np.nan, 8.0, 0.0], "murder": 1.0, "robbery": 2.0, "agg_assault": 3.0})
    panel = analysis_panel(linked)
    assert panel[["msa_id", "year"]].values.tolist() == [["A", 2010], ["B", 2010]]
    assert panel.violent_rate.tolist() == [0.0, 200.0]
    assert panel.log_violent_rate.tolist() == pytest.approx([0.0, np.log(201.0)])
    assert panel.log_violent_legacy_free_rate.iloc[1] == pytest.approx(np.log(151.0))
