"""The ``csv`` connector: leads and activities kept in CSV files.

Leads are read and upserted by a key column (``email`` by default); activities are read.
Reads stream the file and resume from a cursor: the newest modified timestamp when the
settings name a modified column, else the file's fingerprint. Writes rewrite the leads
file atomically and defuse spreadsheet formulas. See :class:`CsvSettings` for the
settings and :mod:`funnelsync.plugins.csv.cursors` for the cursor format.
"""

from funnelsync.plugins.csv.connector import CsvConnector
from funnelsync.plugins.csv.settings import CsvActivitiesFile, CsvLeadsFile, CsvSettings

__all__ = ["CsvActivitiesFile", "CsvConnector", "CsvLeadsFile", "CsvSettings"]
