"""Raw inputs by name: upstream URL pinned to a commit, SHA-256 verified, fetched with pooch.

A mirror directory (env FEDLOCAL_DATA_MIRROR) holding `<folder>/<file>` stands in for the URLs, so
machines without internet (CI, research data centers) read the same verified bytes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from functools import lru_cache
from pathlib import Path

import pooch
import yaml

from fedlocal import FedlocalError, paths

pooch.get_logger().setLevel("WARNING")


class InputError(FedlocalError):
    """A raw input is missing, unreachable or not the registered file."""


@lru_cache(maxsize=1)
def entries() -> dict[str, dict]:
    return yaml.safe_load(paths.REGISTRY_FILE.read_text())


def entry(name: str) -> dict:
    try:
        return entries()[name]
    except KeyError:
        close = [n for n in entries() if n.split("/")[-1] == name.split("/")[-1]]
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise InputError(f"{name!r} is not in the data registry ({paths.REGISTRY_FILE}).{hint}") from None


def mirror() -> Path | None:
    """The mirror directory; a relative one is taken from the working directory (as a shell user means it)."""
    value = os.environ.get(paths.MIRROR_ENV)
    if not value:
        return None
    folder = Path(value).expanduser().resolve()
    if not folder.is_dir():
        raise InputError(f"{paths.MIRROR_ENV}={value}: no such directory ({folder}). Point it at a folder that "
                         f"holds the raw inputs as <folder>/<file> (see data/README.md), or unset it to download.")
    return folder


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _copy_from(source: Path):
    def download(url, output_file, pooch_obj):  # pooch's downloader signature
        shutil.copyfile(source, output_file)

    return download


def rule_violations(registered: dict[str, dict] | None = None) -> list[str]:
    """Entries that break the registry's rule: every input has a pinned public URL or is a file in the repository
    (so anyone can rebuild without the project's mirror)."""
    problems = []
    for name, e in sorted((entries() if registered is None else registered).items()):
        if e.get("file"):
            if not (paths.ROOT / e["file"]).is_file():
                problems.append(f"{name}: file {e['file']} is not in the repository")
        elif not e.get("url"):
            problems.append(f"{name}: neither a url nor a file in the repository")
    return problems


def repository_file(name: str) -> Path | None:
    """The project's own copy of an input kept in the repository (entry key `file:`, e.g. data/curated/), or None."""
    rel = entry(name).get("file")
    return paths.ROOT / rel if rel else None


def _verified_repository_file(name: str, path: Path, expected: str) -> Path:
    if not path.is_file():
        raise InputError(f"input {name!r}: the repository file {path.relative_to(paths.ROOT)} named in "
                         f"{paths.REGISTRY_FILE.name} is missing; restore it from git.")
    actual = sha256(path)
    if actual != expected:
        raise InputError(f"input {name!r}: {path.relative_to(paths.ROOT)} has SHA-256 {actual}, the registry says "
                         f"{expected}. If you corrected it on purpose, record the change in its CHANGELOG.md and put "
                         f"the new hash in {paths.REGISTRY_FILE.name}; else restore it from git.")
    return path


def fetch(name: str) -> Path:
    """Local path of a verified raw input: the repository's own file for curated data, else fetched into the
    cache (data/raw/) from the mirror or the URL if needed."""
    e = entry(name)
    expected = e["sha256"]
    own = repository_file(name)
    if own is not None:
        return _verified_repository_file(name, own, expected)
    target = paths.RAW_CACHE / name
    if target.is_file() and sha256(target) == expected:
        return target
    m = mirror()
    if m is not None:
        source = m / name
        if not source.is_file():
            raise InputError(
                f"input {name!r}: not found in the mirror directory {m} ({paths.MIRROR_ENV}). "
                f"Put the file there as {name}, or unset {paths.MIRROR_ENV} to download it"
                + (f" from {e['url']}." if e.get("url") else " (it has no public URL: see its SOURCE.md).")
            )
        downloader, url = _copy_from(source), source.as_uri()
    elif e.get("url"):
        downloader, url = None, e["url"]
    else:
        raise InputError(
            f"input {name!r} has no public download URL ({e.get('note', 'see ' + e['source'])}). "
            f"Set {paths.MIRROR_ENV} to a directory that holds {name} (the project's shared data folder)."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        pooch.retrieve(url, known_hash=f"sha256:{expected}", fname=target.name, path=target.parent,
                       downloader=downloader, progressbar=False)
    except ValueError as err:  # pooch's hash mismatch
        raise InputError(
            f"input {name!r} from {url} does not match the registry: expected SHA-256 {expected}. "
            f"The file is corrupted or a different version; replace it with the file described in "
            f"{e['source']} (or delete {target} and run `fedlocal data`). Details: {err}"
        ) from None
    except Exception as err:  # network and file errors
        raise InputError(f"input {name!r}: could not fetch {url}: {err}. "
                         f"Check the network or set {paths.MIRROR_ENV}.") from None
    return target


def fetch_all(names: list[str] | None = None, progress=None) -> dict[str, Path]:
    """Fetch and verify many inputs; `progress` is called with (i, n, name) before each."""
    names = sorted(entries()) if names is None else names
    out = {}
    for i, name in enumerate(names, 1):
        if progress:
            progress(i, len(names), name)
        out[name] = fetch(name)
    return out
