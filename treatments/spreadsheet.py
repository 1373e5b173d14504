"""CSV: cells that are safe to open in a spreadsheet, and the explorer's one CSV export.

A cell that starts with =, +, -, @, tab or carriage return is read as a formula by Excel, LibreOffice
and Google Sheets (CSV injection). Both CSV exports (the explorer page and the API) pass every cell
through ``safe_cell``, which prefixes such a cell with an apostrophe so it shows as text.
"""

import csv

from django.http import HttpResponse

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


# --- the explorer's result as CSV: the condition page's download and the API's ?format=csv ------------------

EXPLORE_COLUMNS = (
    "kind",
    "slug",
    "name",
    "line",
    "guidelines_disagree",
    "positions",
    "nnt",
    "nnh",
    "status",
    "already_taking",
    "members",
    "before_starting",
    "flags",
    "may_also_help",
    "dose_limits",
    "interactions",
    "sources",
)


def explore_rows(result):
    """One row per option of an ``explorer.Result``, in ``EXPLORE_COLUMNS`` order (cells made safe)."""
    for o in result.options:
        cells = [
            o.kind,
            o.slug,
            o.name,
            o.line,
            "yes" if o.disagree else "no",
            " | ".join(f"{p.source.short_name}: {p.line_label}, {p.strength_label}" for p in o.positions),
            _number(o.nnt),
            _number(o.nnh),
            o.status,
            "yes" if o.already_taking else "no",
            " | ".join(f"{mb.name}: {mb.status}" for mb in o.member_statuses),
            " | ".join(f"{n.level_label}{' (' + n.subject + ')' if n.subject else ''}" for n in o.notices),
            " | ".join(
                f"{f.level_label}{'' if f.certain else ' (may apply)'} — {f.applies_when}"
                f"{' (' + f.subject + ')' if f.subject else ''}"
                for f in o.flags
            ),
            ", ".join(b.applies_when for b in o.benefits),
            " | ".join(limit.text for limit in o.dose_limits),
            " | ".join(f"{other}: {i.severity_label} — {i.effect}" for other, i in o.interactions),
            " ".join(s.key for s in o.sources),
        ]
        yield [safe_cell(c) for c in cells]


def explore_csv_response(result, filename):
    """An HTTP response with the result as CSV, as a download named ``filename``."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(EXPLORE_COLUMNS)
    writer.writerows(explore_rows(result))
    return response


def _number(value):
    return "" if value is None else f"{value.normalize():f}"
