"""CSV for every list and for explore (``?format=csv``).

One row per list item (or per explore option). Lists of plain values are joined with "; ";
nested objects are written as compact JSON so nothing is lost.
"""

import csv
import io
import json

from rest_framework.renderers import BaseRenderer
from rest_framework.utils.encoders import JSONEncoder


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return "; ".join(_cell(v) for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value, cls=JSONEncoder, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def rows_of(data):
    """The rows a response stands for: a page's results, explore's options, or the one object."""
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        return data["results"]
    if isinstance(data, dict) and isinstance(data.get("options"), list):
        return data["options"]
    return [data]


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        rows = [row for row in rows_of(data) if isinstance(row, dict)]
        out = io.StringIO()
        if rows:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
            writer.writeheader()
            for row in rows:
                writer.writerow({key: _cell(value) for key, value in row.items()})
        return out.getvalue().encode(self.charset)
