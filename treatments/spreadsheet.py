"""CSV cells that are safe to open in a spreadsheet.

A cell that starts with =, +, -, @, tab or carriage return is read as a formula by Excel, LibreOffice
and Google Sheets (CSV injection). Both CSV exports (the explorer page and the API) pass every cell
through ``safe_cell``, which prefixes such a cell with an apostrophe so it shows as text.
"""

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text
