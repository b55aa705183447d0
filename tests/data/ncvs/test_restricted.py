"""The restricted-file loader on small files written in the raw NCVS layout (person, household, incident)."""

import pandas as pd
import pytest

from fedlocal import paths
from fedlocal.data.ncvs import restricted
from fedlocal.data.ncvs.schema import BASE_COLUMNS, NCVSSchemaError
from fixtures.ncvs_raw import raw_files, write


@pytest.mark.parametrize("ext", [".csv", ".parquet", ".dta"])
def test_loads_into_the_schema(tmp_path, ext):
    df = restricted.load(write(tmp_path, *raw_files(), ext=ext))
    assert list(df.columns) == list(BASE_COLUMNS) and len(df) == 6
    by = df.set_index(["county_fips", "interview_month", "age"])
    mother = by.loc[("06037", "2010-02", 34)]
    assert mother["violent"] == 1 and mother["violent_count"] == 1  # the theft does not count
    assert mother["race_eth"] == "latino" and mother["sex"] == "female" and mother["marital"] == "divorced_separated"
    assert mother["education"] == "ba_plus" and mother["employed"] == 1 and mother["homeowner"] == 0
    assert mother["income_bracket"] == 9 and mother["interview_number"] == 3
    son = by.loc[("06037", "2010-08", 16)]
    assert son["violent_count"] == 10 and son["marital"] == "never"  # series of 25 capped at 10
    elder = by.loc[("48201", "2010-09", 72)]
    assert elder["violent_count"] == 6 and elder["race_eth"] == "black" and elder["marital"] == "widowed"
    assert str(elder["ref_start"].date()) == "2010-03-01" and str(elder["ref_end"].date()) == "2010-08-31"
    assert df["person_id"].nunique() == 3 and df["household_id"].nunique() == 2
    assert df["violent"].sum() == 3


def test_directory_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.RESTRICTED_ENV, str(write(tmp_path, *raw_files())))
    assert len(restricted.load()) == 6
    monkeypatch.delenv(paths.RESTRICTED_ENV)
    with pytest.raises(restricted.RestrictedDataError, match=paths.RESTRICTED_ENV):
        restricted.load()


def test_missing_column_is_named(tmp_path):
    person, household, incident = raw_files()
    with pytest.raises(restricted.RestrictedDataError, match=r"person_2005_2014.csv: missing column\(s\) WGTPERCY"):
        restricted.load(write(tmp_path, person.drop(columns="WGTPERCY"), household, incident))


def test_wrong_type_and_bad_codes_name_column_example_and_count(tmp_path):
    person, household, incident = raw_files()
    person["V3014"] = person["V3014"].astype(object)
    person.loc[1, "V3014"] = "fifteen"
    person.loc[[0, 2], "V3018"] = 7
    household.loc[0, "V2026"] = 15
    with pytest.raises(restricted.RestrictedDataError) as err:
        restricted.load(write(tmp_path, person, household, incident))
    msg = str(err.value)
    assert "column 'V3014' (age): 1 of 6 rows are not numbers (e.g. 'fifteen')" in msg
    assert "column 'V3018' (sex): 2 of 6 rows have codes outside 1, 2 (e.g. 7)" in msg
    assert "column 'V2026' (income_bracket): 1 of 4 rows are outside 1..14 (e.g. 15)" in msg


def test_duplicate_person_interviews_are_refused(tmp_path):
    person, household, incident = raw_files()
    person = pd.concat([person, person.iloc[[4]]])
    with pytest.raises(NCVSSchemaError, match=r"duplicate person-interview keys .*: 2 rows share a key"):
        restricted.load(write(tmp_path, person, household, incident))


def test_interviews_outside_the_window_are_refused(tmp_path):
    person, household, incident = raw_files()
    person.loc[5, "INTYEAR"] = 2015
    with pytest.raises(NCVSSchemaError, match=r"'interview_month': 1 of 6 rows are outside the window 2005-01..2014-12 \(e.g. '2015-09'\)"):
        restricted.load(write(tmp_path, person, household, incident))


def test_incident_without_times_is_refused(tmp_path):
    person, household, incident = raw_files()
    incident.loc[0, "V4016"] = None
    with pytest.raises(restricted.RestrictedDataError, match=r"'V4016' \(times in reference period\): 1 of 4 rows"):
        restricted.load(write(tmp_path, person, household, incident))
