"""The manuscript's Lua filters on small documents (pandoc only, no render)."""

from __future__ import annotations

import subprocess

import pypandoc

from fedlocal.manuscript.project import COLUMN_WIDTHS_FILTER

DOC = """::: {#tbl-wide}
| a | b | c | d | e | f | g |
|:----|----:|----:|----:|----:|----:|----:|
| 1 | 2 | 3 | 4 | 5 | 6 | 7 |

A wide table.
:::

::: {#tbl-narrow}
| a | b |
|:--|--:|
| 1 | 2 |

A narrow table.
:::
"""


def _html(text: str) -> str:
    return subprocess.run([pypandoc.get_pandoc_path(), "--from", "markdown", "--to", "html5", "--wrap=none",
                           "--lua-filter", str(COLUMN_WIDTHS_FILTER)], input=text, capture_output=True, text=True,
                          check=True).stdout


def test_a_wide_table_spreads_over_the_page_and_a_narrow_one_stays_in_the_text_column():
    html = _html(DOC)
    assert '<div id="tbl-wide" class="column-page">' in html  # Quarto's HTML would hide its last columns otherwise
    assert '<div id="tbl-narrow">' in html


def test_columns_size_to_their_content():
    html = _html(DOC.replace("| a | b | c |", "| a long header that makes the line longer than 72 characters | b | c |"))
    assert "<colgroup>" not in html and 'style="width' not in html
