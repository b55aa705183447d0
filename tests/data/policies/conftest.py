"""The default spells and panel, built once for every policy test that checks facts from the real sources."""

import pytest

from fedlocal.data.policies.panel import build_panel, build_spells


@pytest.fixture(scope="session")
def spells():
    return build_spells()


@pytest.fixture(scope="session")
def panel(spells):
    return build_panel(spells).set_index(["fips", "month"])
