"""How every API response is shaped: pages, CSV (``?format=csv``), format choice and JSON errors.

CSV has one row per list item (or per explore option); lists of plain values are joined with "; "
and nested objects are written as compact JSON, so nothing is lost. Everything here is named in
settings.REST_FRAMEWORK, so this module must not import DRF's generic views (a circular import).
"""

import csv
import io
import json

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.utils.encoders import JSONEncoder
from rest_framework.views import exception_handler as drf_exception_handler

from treatments.spreadsheet import safe_cell


def _cell(value):
    return safe_cell(_text(value))


def _text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return "; ".join(_text(v) for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value, cls=JSONEncoder, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def rows_of(data):
    """The rows a response stands for (a page's results, explore's options, or the one object) and
    the column names, taken from the serializer so that an empty list still has its header row."""
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        rows = data["results"]
        serializer = getattr(rows, "serializer", None)
        header = list(serializer.child.fields) if serializer is not None else []
    elif isinstance(data, dict) and isinstance(data.get("options"), list):
        rows = data["options"]
        serializer = getattr(data, "serializer", None)
        header = list(serializer.fields["options"].child.fields) if serializer is not None else []
    else:
        rows, header = [data], []
    rows = [row for row in rows if isinstance(row, dict)]
    return rows, header or (list(rows[0]) if rows else [])


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        rows, header = rows_of(data)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: _cell(value) for key, value in row.items()})
        return out.getvalue().encode(self.charset)


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, but an unknown ``?format=`` is a 400 naming the parameter (not a 404)."""

    def filter_renderers(self, renderers, format):
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            formats = ", ".join(dict.fromkeys(renderer.format for renderer in renderers))
            raise ValidationError({"format": [f"Choose one of: {formats}."]})
        return matching


class Pagination(PageNumberPagination):
    page_size = 50

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as exc:  # DRF answers 404 for a bad page number; it is a bad parameter.
            raise ValidationError({"page": [str(exc.detail)]}) from exc


def exception_handler(exc, context):
    """DRF's handler, with errors always rendered as JSON (even when CSV was asked for)."""
    response = drf_exception_handler(exc, context)
    request = context.get("request")
    if response is not None and request is not None:
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    return response
