"""The NCVS source label travels with the interview file; a missing or odd label is a clear error."""

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fedlocal import FedlocalError
from fedlocal.models.inputs import read_interviews, read_planted, source_label


def write(path, source):
    t = pa.Table.from_pandas(pd.DataFrame({"person_id": [1, 2]}))
    if source is not None:
        t = t.replace_schema_metadata({**t.schema.metadata, b"fedlocal_source": source.encode()})
    pq.write_table(t, path)


def test_source_read_from_metadata(tmp_path):
    write(tmp_path / "a.parquet", "synthetic")
    df, source = read_interviews(tmp_path / "a.parquet")
    assert source == "synthetic" and len(df) == 2
    assert "synthetic" in source_label(source)


@pytest.mark.parametrize("label", [None, "made-up"])
def test_bad_or_missing_source_is_refused(tmp_path, label):
    write(tmp_path / "b.parquet", label)
    with pytest.raises(FedlocalError, match="fedlocal_source"):
        read_interviews(tmp_path / "b.parquet")
    with pytest.raises(FedlocalError, match="run stage 'ncvs'"):
        read_interviews(tmp_path / "missing.parquet")


def test_planted_only_for_synthetic(tmp_path):
    (tmp_path / "p.csv").write_text("policy,group,odds_ratio\nsc,latino,1.2\n")
    assert read_planted(tmp_path / "p.csv", "restricted") is None
    assert read_planted(tmp_path / "p.csv", "synthetic")["odds_ratio"].item() == 1.2
    (tmp_path / "q.csv").write_text("policy,odds_ratio\nsc,1.2\n")
    with pytest.raises(FedlocalError, match="lacks columns"):
        read_planted(tmp_path / "q.csv", "synthetic")
