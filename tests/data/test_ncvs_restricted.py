"""The restricted-file loader on small files written in the raw NCVS layout (person, household, incident)."""

import pandas as pd
import pyreadstat
import pytest

from fedlocal import paths
from fedlocal.data.ncvs import restricted
from fedlocal.data.ncvs.schema import BASE_COLUMNS, NCVSSchemaError

PERIOD_A, PERIOD_B = "20101", "20103"  # YEARQ of two interviews six months apart


def raw_files():
    person = pd.DataFrame({
        "IDHH": ["1001", "1001", "1001", "1001", "2002", "2002"],
        "IDPER": ["100101", "100102", "100101", "100102", "200201", "200201"],
        "YEARQ": [PERIOD_A, PERIOD_A, PERIOD_B, PERIOD_B, PERIOD_A, PERIOD_B],
        "STATE": [6, 6, 6, 6, 48, 48], "COUNTY": [37, 37, 37, 37, 201, 201],
        "INTYEAR": [2010] * 6, "INTMONTH": [2, 2, 8, 8, 3, 9], "TIS": [3, 3, 4, 4, 1, 2],
        "WGTPERCY": [1500.5, 1420.0, 1510.2, 1433.3, 2100.0, 2080.0],
        "V3014": [34, 15, 34, 16, 71, 72], "V3018": [2, 1, 2, 1, 1, 1], "V3015": [4, 5, 4, 5, 2, 2],
        "V3020": [42, 9, 42, 10, 28, 28], "V3023A": [1, 1, 1, 1, 2, 2], "V3024": [1, 1, 1, 1, 2, 2],
        "EMPLOYED": [1, 2, 1, 2, 2, 2], "YRSADDR": [3.0, 3.0, 3.5, 3.5, 20.0, 20.5],
    })
    household = pd.DataFrame({"IDHH": ["1001", "1001", "2002", "2002"], "YEARQ": [PERIOD_A, PERIOD_B, PERIOD_A, PERIOD_B],
                              "V2026": [9, 9, 5, 5], "V2015": [2, 2, 1, 1]})
    incident = pd.DataFrame({
        "IDHH": ["1001", "1001", "1001", "2002"], "IDPER": ["100101", "100101", "100102", "200201"],
        "YEARQ": [PERIOD_A, PERIOD_A, PERIOD_B, PERIOD_B],
        "V4529": [11, 33, 17, 5],      # simple assault (violent), theft (not violent), violent, violent
        "V4016": [1, 1, 25, 997],      # a series of 25 (counts 10), unknown series size (counts 6)
    })
    return person, household, incident


def write(tmp_path, person, household, incident, ext=".csv"):
    for name, df in (("person", person), ("household", household), ("incident", incident)):
        path = tmp_path / f"{name}_2005_2014{ext}"
        if ext == ".csv":
            df.to_csv(path, index=False)
        elif ext == ".parquet":
            df.to_parquet(path)
        elif ext == ".dta":
            pyreadstat.write_dta(df, str(path))
    return tmp_path


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
