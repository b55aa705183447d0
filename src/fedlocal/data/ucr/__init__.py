"""Police-recorded violent crime by metropolitan area, 2000-2017, from the FBI's published MSA tables.

The FBI's "Crime in the United States" table of offenses by Metropolitan Statistical Area is the
only public, annual, multi-year offense series with county-defined geography. Each year's sheet
lists MSA blocks: a header row (name, population; from 2005 a counties column), the counties
included (in "(Includes ...)" text, sometimes wrapped over several rows, or on the header row),
principal-city rows, "Total area actually reporting" (share of population covered) and, when that
share is below one, "Estimated total" (the FBI's imputed MSA total). From 2003 large MSAs also
carry Metropolitan Division (M.D.) sub-blocks, which are parts and are skipped except for their
county lists. Layouts differ by year (12-15 columns, header on row 3 or 4, labels in one or two
columns), so columns are found from the header row, never by position.

The modules, in the order the data pass through them:
- `cells`: what one cell says (a label without footnote markers, an MSA's name and states, a number);
- `layout`: where a year's sheet keeps its header and columns, and what kind of row a label starts;
- `blocks`: the rows grouped into MSA blocks (divisions, county text, principal cities, totals rows);
- `tables`: one year's table as MSA rows with the FBI's totals (`read_msa_year`, `read_all_years`);
- `county_text`: an MSA's county text as 2010 FIPS codes (MSAs cross state lines: "KY-IN");
- `identity`: one identity per MSA over time, by county composition, and coverage by year;
- `panel`: the MSA x year analysis panel (rates per 100,000 and log rates).
Policy exposure of the MSAs is not data: it lives in `fedlocal.exposure.metro`.

Rape: 2000-2012 use the legacy definition. From 2013 these tables publish one rape column that
aggregates agencies reporting under the revised (broader) and legacy definitions (2017: revised
only) - a legacy-only column is not in these files. So `violent` (as published) has a definition
break in 2013; `violent_legacy_free` (murder + robbery + aggravated assault) is consistent over
all years and is the check the analysis reports beside it.
"""

from __future__ import annotations

from fedlocal import FedlocalError

YEARS = tuple(range(2000, 2018))
CRIMES = ("violent", "murder", "rape", "robbery", "agg_assault")


class UcrError(FedlocalError):
    """An MSA table does not have the layout this parser knows, or cannot support the requested step."""
