"""What the article uses -- variables, includes, images, labels, citations -- and whether a run has it all.

Shared by both engines and by the contract tests between the manuscript and the pipeline.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fedlocal import paths
from fedlocal.manuscript.project import RenderError
from fedlocal.paths import Layout

SHORTCODE = re.compile(r"\{\{<\s*([\w-]+)\s*(.*?)\s*>\}\}")
IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
LABEL_DEFINED = re.compile(r"\{#((?:fig|tbl)-[\w-]+)")
LABEL_REFERENCED = re.compile(r"(?<![\w@])@((?:fig|tbl)-[\w-]*\w)")
CITATION = re.compile(r"(?<![\w@./])@\{?([A-Za-z][\w:.#$%&+?<>~/-]*\w)")


def _body(text: str) -> str:
    """The text without code spans, so that documented examples of syntax are not taken for uses."""
    return re.sub(r"`[^`\n]*`", "", text)


def variable_keys(text: str) -> list[str]:
    """Every `{{< var key >}}` key, in order of first use."""
    keys = [arg for name, arg in SHORTCODE.findall(_body(text)) if name == "var"]
    return list(dict.fromkeys(keys))


def included_paths(text: str) -> list[str]:
    """Every `{{< include path >}}` path as written."""
    return list(dict.fromkeys(arg for name, arg in SHORTCODE.findall(_body(text)) if name == "include"))


def image_paths(text: str) -> list[str]:
    return list(dict.fromkeys(IMAGE.findall(_body(text))))


def labels_defined(text: str) -> list[str]:
    """Figure/table labels defined (`{#fig-x}`, `::: {#tbl-x}`), with repeats kept so duplicates show."""
    return LABEL_DEFINED.findall(_body(text))


def labels_referenced(text: str) -> list[str]:
    return list(dict.fromkeys(LABEL_REFERENCED.findall(_body(text))))


def citation_keys(text: str) -> list[str]:
    """Bibliographic citation keys (`[@key]`, `@key`), excluding cross-references and e-mail addresses."""
    body = _body(re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S))
    body = SHORTCODE.sub("", body)
    keys = [k for k in CITATION.findall(body) if not re.match(r"(fig|tbl)-", k)]
    return list(dict.fromkeys(keys))


def lookup(variables: dict, key: str) -> Any:
    """`a.b.c` in nested variables (Quarto's var semantics); KeyError if absent."""
    value: Any = variables
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            raise KeyError(key)
        value = value[part]
    if isinstance(value, (dict, list)):
        raise KeyError(key)
    return value


def has(variables: dict, key: str) -> bool:
    try:
        lookup(variables, key)
        return True
    except KeyError:
        return False


def output_path(layout: Layout, path: str) -> Path:
    """A root-relative manuscript path (`/figures/x.png`, `/tables/x.md`) in a run's layout."""
    rel = path.lstrip("/")
    head = rel.split("/", 1)[0]
    if head in ("figures", "tables", "data"):
        return layout.resolve(rel)
    return paths.ROOT / rel


def check_inputs(text: str, layout: Layout, variables: dict) -> None:
    """Every variable, include and figure the manuscript uses exists; one message naming all that do not."""
    problems = []
    for key in variable_keys(text):
        try:
            value = lookup(variables, key)
        except KeyError:
            problems.append(f"variable {key!r} (used as {{{{< var {key} >}}}}) is not in "
                            f"{paths.relative_to_root(layout.variables_file)}")
            continue
        if value is None:  # would print as "None" (fallback) or nothing (Quarto) in the article
            problems.append(f"variable {key!r} (used as {{{{< var {key} >}}}}) is null in "
                            f"{paths.relative_to_root(layout.variables_file)}; the stage that writes it must "
                            f"give it a value (a number or a word such as 'none')")
    for p in included_paths(text) + image_paths(text):
        if not output_path(layout, p).is_file():
            problems.append(f"{p} (included by the manuscript) does not exist at "
                            f"{paths.relative_to_root(output_path(layout, p))}")
    if problems:
        raise RenderError("the manuscript refers to outputs this run does not have; run the stage that writes "
                          "them (`fedlocal run`) or fix manuscript/index.qmd:\n  - " + "\n  - ".join(problems))
