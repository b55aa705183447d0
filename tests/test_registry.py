"""The data registry: verified inputs, clear messages for missing or wrong files."""

import pytest

from fedlocal import paths, registry

NAME = "white2016_sc/stateMOAdates.csv"


@pytest.fixture
def real_bytes():
    """The registered file's true content (fetched through the real cache or mirror)."""
    return registry.fetch(NAME).read_bytes()


@pytest.fixture
def isolated(real_bytes, tmp_path, monkeypatch):
    """An empty cache and a mirror of our own, so the real cache is never touched."""
    monkeypatch.setattr(paths, "RAW_CACHE", tmp_path / "cache")
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    monkeypatch.setenv(paths.MIRROR_ENV, str(mirror))
    return mirror


def test_every_entry_names_a_source_licence_and_hash():
    for name, e in registry.entries().items():
        doc = "README.md" if e.get("file") else "SOURCE.md"  # curated data: its folder's README
        assert len(e["sha256"]) == 64 and e["licence"] and e["source"].endswith(doc), name
        assert e["url"] is None or (e["url"].startswith("https://") and len(e["url"].split("/")[5]) == 40), name
        assert e["url"] is not None or e.get("note"), f"{name}: no URL and no note saying why"


def test_fetch_copies_from_the_mirror_and_verifies(isolated, real_bytes):
    data = real_bytes
    (isolated / "white2016_sc").mkdir(parents=True)
    (isolated / NAME).write_bytes(data)
    got = registry.fetch(NAME)
    assert got == paths.RAW_CACHE / NAME and got.read_bytes() == data


def test_a_corrupted_file_is_refused_with_the_expected_hash(isolated, real_bytes):
    data = real_bytes
    (isolated / "white2016_sc").mkdir(parents=True)
    (isolated / NAME).write_bytes(data.replace(b"1", b"2", 1))
    with pytest.raises(registry.InputError) as err:
        registry.fetch(NAME)
    msg = str(err.value)
    assert NAME in msg and registry.entry(NAME)["sha256"] in msg and "SOURCE.md" in msg


def test_a_missing_file_names_the_mirror_and_the_url(isolated):
    with pytest.raises(registry.InputError) as err:
        registry.fetch(NAME)
    assert "not found in the mirror" in str(err.value) and registry.entry(NAME)["url"] in str(err.value)


def test_an_unknown_name_suggests_the_registered_one():
    with pytest.raises(registry.InputError, match="Did you mean 'white2016_sc/stateMOAdates.csv'"):
        registry.entry("stateMOAdates.csv")


def test_a_relative_mirror_is_taken_from_the_working_directory(isolated, real_bytes, tmp_path, monkeypatch):
    (isolated / "white2016_sc").mkdir(parents=True)
    (isolated / NAME).write_bytes(real_bytes)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(paths.MIRROR_ENV, "mirror")
    assert registry.fetch(NAME).read_bytes() == real_bytes
    assert registry.mirror() == isolated.resolve()


def test_a_mirror_that_does_not_exist_is_named(isolated, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(paths.MIRROR_ENV, "no-such-folder")
    with pytest.raises(registry.InputError, match=f"{paths.MIRROR_ENV}=no-such-folder: no such directory"):
        registry.fetch(NAME)


def test_every_entry_has_a_url_or_is_a_file_in_the_repository():
    assert registry.rule_violations() == []


def test_the_rule_names_an_entry_with_neither_and_a_repository_file_that_does_not_exist():
    fake = {"a/with-url.csv": {"url": "https://example.org/x.csv"},
            "b/neither.csv": {"url": None},
            "curated/gone.csv": {"file": "data/curated/gone.csv", "url": None},
            "curated/here.csv": {"file": "data/registry.yaml"}}
    assert registry.rule_violations(fake) == ["b/neither.csv: neither a url nor a file in the repository",
                                              "curated/gone.csv: file data/curated/gone.csv is not in the repository"]


CURATED = "curated/anti_detainer_policies.csv"


def test_curated_data_is_read_from_the_repository_and_verified(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "RAW_CACHE", tmp_path / "cache")
    monkeypatch.setenv(paths.MIRROR_ENV, str(tmp_path / "empty-mirror"))
    got = registry.fetch(CURATED)
    assert got == paths.ROOT / "data/curated/anti_detainer_policies.csv" and not (tmp_path / "cache").exists()
    assert registry.sha256(got) == registry.entry(CURATED)["sha256"]


def test_an_edited_curated_file_without_a_new_hash_is_refused(tmp_path, monkeypatch):
    root = tmp_path / "project"
    (root / "data/curated").mkdir(parents=True)
    text = (paths.ROOT / "data/curated/anti_detainer_policies.csv").read_text(encoding="utf-8")
    (root / "data/curated/anti_detainer_policies.csv").write_text(text.replace("AD015", "AD915"), encoding="utf-8")
    monkeypatch.setattr(paths, "ROOT", root)
    with pytest.raises(registry.InputError, match="CHANGELOG.md and put the new hash"):
        registry.fetch(CURATED)
