"""The schema: the source label travels with the interview file (a missing or odd label is a clear error), the
reference period, and a written file reads back as written."""

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fedlocal import FedlocalError
from fedlocal.data.ncvs import schema
from fedlocal.vocab import NCVS_SOURCE_LABELS
from fixtures.simulate import simulate


def write(path, source):
    t = pa.Table.from_pandas(pd.DataFrame({"person_id": [1, 2]}))
    if source is not None:
        t = t.replace_schema_metadata({**t.schema.metadata, b"fedlocal_source": source.encode()})
    pq.write_table(t, path)


def test_source_read_from_metadata(tmp_path):
    write(tmp_path / "a.parquet", "synthetic")
    df, source = schema.read(tmp_path / "a.parquet")
    assert source == "synthetic" and len(df) == 2
    assert "synthetic" in NCVS_SOURCE_LABELS[source]


@pytest.mark.parametrize("label", [None, "made-up"])
def test_bad_or_missing_source_is_refused(tmp_path, label):
    write(tmp_path / "b.parquet", label)
    with pytest.raises(FedlocalError, match="fedlocal_source"):
        schema.read(tmp_path / "b.parquet")
    with pytest.raises(FedlocalError, match="run stage 'ncvs'"):
        schema.read(tmp_path / "missing.parquet")


def test_parquet_keeps_the_source_label(tmp_path):
    df = simulate(300, 10, seed=1).interviews
    path = schema.write(df, tmp_path / "ncvs-interviews.parquet", "synthetic")
    back, source = schema.read(path)
    assert source == "synthetic"
    pd.testing.assert_frame_equal(back, schema.conform(df))
    with pytest.raises(ValueError, match="source must be one of"):
        schema.write(df, tmp_path / "x.parquet", "public")


def test_reference_period_is_the_six_months_before_the_interview_month():
    start, end = schema.reference_period(pd.Series(["2010-07", "2012-03"]))
    assert [str(d.date()) for d in start] == ["2010-01-01", "2011-09-01"]
    assert [str(d.date()) for d in end] == ["2010-06-30", "2012-02-29"]


def test_read_casts_a_file_not_written_by_write(tmp_path):
    t = pa.Table.from_pandas(pd.DataFrame({"sex": ["male", "female"], "year": [2010, 2011]}), preserve_index=False)
    pq.write_table(t.replace_schema_metadata({b"fedlocal_source": b"restricted"}), tmp_path / "c.parquet")
    df, source = schema.read(tmp_path / "c.parquet")
    assert source == "restricted" and str(df["year"].dtype) == "int16"  # int64 in the file
    assert list(df.columns) == ["year", "sex"]  # the schema's order


def _broken(frame):
    bad = frame.copy()
    bad.loc[bad.index[0], "county_fips"] = "123"
    bad.loc[bad.index[1], "race_eth"] = "martian"
    bad.loc[bad.index[2], "interview_month"] = "2020-01"
    bad.loc[bad.index[3], "employed"] = 3
    return bad


def test_validate_reports_the_same_problems_for_pandas_strings_and_python_objects():
    """validate reads pandas' own string columns directly and numeric columns without pd.to_numeric: the problems it
    reports must be those of the object-column path."""
    frame = schema.conform(simulate(n_persons=50, n_counties=10, seed=3).interviews)
    bad = _broken(frame)
    assert bad["county_fips"].dtype == pd.Series(["x"]).dtype and bad["employed"].dtype.kind in "iu"
    as_objects = bad.astype({c: object for c in ("county_fips", "race_eth", "interview_month", "employed")})
    messages = []
    for f in (bad, as_objects):
        with pytest.raises(schema.NCVSSchemaError) as err:
            schema.validate(f, "test", require_exposure=False)
        messages.append(str(err.value))
    assert messages[0] == messages[1]
    assert all(s in messages[0] for s in ("5-digit FIPS", "'martian'", "outside the window", "not one of 0, 1"))
