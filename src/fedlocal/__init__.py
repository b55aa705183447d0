"""fedlocal: federal-local immigration enforcement partnerships and violent victimization.

A reproducible research compendium: `fedlocal.data` builds the analysis inputs from registered raw
files, `fedlocal.models` estimates, `fedlocal.report` writes figures, tables and manuscript numbers,
and `fedlocal.runner` runs the numbered notebooks that tie them together.
"""

__version__ = "0.1.0"


class FedlocalError(Exception):
    """An error a user can fix; its message names the file or key and the fix."""
