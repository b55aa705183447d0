"""Writing what the manuscript pulls in: figures, tables and the numbers quoted in the text."""

from fedlocal.report.outputs import (  # noqa: F401
    fmt_int,
    fmt_num,
    fmt_pct,
    pipe_table,
    save_figure,
    save_table,
    save_variables,
    setup_matplotlib,
)
