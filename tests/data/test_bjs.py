"""The national BJS series is built from registered BJS tables plus the project's one transcribed value."""

import hashlib

import pandas as pd
import pytest

from fedlocal import paths, registry
from fedlocal.data import bjs

# The file the series used to be read from (assembled by hand, no public URL), as it was registered.
ASSEMBLED = "bjs_ncvs_tables/ncvs_violent_rate_national_1993_2017_assembled.csv"
ASSEMBLED_SHA256 = "b73aa77fdb2da9aaad8029057cd000875d173689c1e0c68dd9238916ab48f604"


def built_csv() -> bytes:
    """Written as the assembled file was (CSV with CRLF line ends, as Python's csv module writes)."""
    return bjs.national_violent_rates().to_csv(index=False, lineterminator="\r\n").encode()


def test_the_built_series_is_the_assembled_file_byte_for_byte():
    assert hashlib.sha256(built_csv()).hexdigest() == ASSEMBLED_SHA256


def test_the_built_series_equals_the_assembled_file_in_the_mirror():
    m = registry.mirror()
    if m is None or not (m / ASSEMBLED).is_file():
        pytest.skip(f"no mirror with {ASSEMBLED} ({paths.MIRROR_ENV})")
    pd.testing.assert_frame_equal(bjs.national_violent_rates(), pd.read_csv(m / ASSEMBLED), check_dtype=False)
    assert built_csv() == (m / ASSEMBLED).read_bytes()


def test_every_input_has_a_url_or_is_in_the_repository():
    for name in bjs.INPUTS:
        e = registry.entry(name)
        assert e.get("url") or (e.get("file") and (paths.ROOT / e["file"]).is_file()), name


def test_the_transcribed_value_carries_its_provenance():
    typed = bjs.transcribed()
    assert typed["year"].tolist() == [2014] and typed["violent_rate_per_1000_12plus"].tolist() == [20.1]
    assert typed["provenance"].str.contains("Criminal Victimization, 2014").all()


def test_a_year_given_twice_is_refused(monkeypatch):
    doubled = pd.concat([bjs.transcribed(), bjs.transcribed()])
    monkeypatch.setattr(bjs, "transcribed", lambda: doubled)
    with pytest.raises(registry.InputError, match="each year 1993-2017 once"):
        bjs.national_violent_rates()


# A curated BJS figure is read in a BJS publication: BJS's own site or the Office of Justice Programs' (old and new hosts).
BJS_HOSTS = {"bjs.ojp.gov", "ncvs.bjs.ojp.gov", "bjs.gov", "www.bjs.gov", "ojp.gov", "www.ojp.gov", "ojp.usdoj.gov", "www.ojp.usdoj.gov"}


def test_curated_bjs_files_cite_only_bjs_publications():
    """Every web address in a curated bjs_* file is on a BJS/OJP host (a reproduction elsewhere is not a source)."""
    import re
    from urllib.parse import urlparse

    files = sorted((paths.DATA / "curated").glob("bjs_*.csv"))
    assert files
    for path in files:
        hosts = {urlparse(u).hostname for u in re.findall(r"https?://[^\s,;\"')]+", path.read_text())}
        assert hosts <= BJS_HOSTS, f"{path.name} cites {sorted(hosts - BJS_HOSTS)}: cite the BJS publication instead"
