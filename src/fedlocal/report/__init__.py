"""Writing what the manuscript pulls in: figures, tables and the numbers quoted in the text.

`outputs` saves them, `formatting` prints numbers, `tables` and `figures` build the displays.
"""

from fedlocal.report.formatting import (  # noqa: F401
    DASH,
    fmt_ci,
    fmt_int,
    fmt_num,
    fmt_or_ci,
    fmt_p,
    fmt_pct,
    fmt_pp_ci,
)
from fedlocal.report.outputs import (  # noqa: F401
    pipe_table,
    save_data,
    save_figure,
    save_table,
    save_variables,
    setup_matplotlib,
)
