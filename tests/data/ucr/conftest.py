"""Every year's parsed MSA table, read once for the tests that check facts from the real files."""

import pytest

from fedlocal.data.ucr import tables


@pytest.fixture(scope="session")
def all_years():
    return tables.read_all_years()
