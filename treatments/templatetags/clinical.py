"""Formatting only: no clinical rules here."""

from functools import lru_cache

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html, format_html_join

from treatments.explorer import format_number
from treatments.handout import days_words

register = template.Library()


@register.filter
def num(value):
    """7.700 -> 7.7; 150.000 -> 150; None -> ''."""
    return format_number(value)


@register.filter
def ci(pair):
    """(Decimal('3.0'), Decimal('4.4')) -> '3.0–4.4'."""
    if not pair:
        return ""
    low, high = pair
    return f"{format_number(low)}–{format_number(high)}"


@register.filter
def get_item(mapping, key):
    """Look up a precomputed value by key (e.g. a toggle URL per option)."""
    return mapping.get(key, "") if mapping else ""


@register.filter
def days_in(segment, week):
    """'Days 1 to 3' for a dose that covers part of a calendar week, '' for the whole week (handout)."""
    return days_words(segment, week)


@register.filter
def flag_names(flags):
    """The one-line list of a drug's flags: 'Age 65 or over; Falls risk (may apply)' (explorer.Flag rows).
    Plain text: the template escapes it."""
    return "; ".join(f.applies_when if f.certain else f"{f.applies_when} (may apply)" for f in flags or ())


@lru_cache(maxsize=8192)
def _source_url(prefix, key):
    return reverse("treatments:source", args=[key])


@register.filter
def cites(sources):
    """The citations of a statement: each source's short name linking to its page, titled with its full title.
    ``sources``: Source rows or ``explorer.SourceRef`` (anything with key, title and short_name). Built here,
    not in a template: a page cites a hundred sources or more, and a template include per citation was a third
    of the condition page's rendering time."""
    sources = list(sources or ())
    if not sources:
        return ""
    prefix = get_script_prefix()
    links = format_html_join(
        "; ", '<a href="{}" title="{}">{}</a>', ((_source_url(prefix, s.key), s.title, s.short_name) for s in sources)
    )
    return format_html('<span class="cites">{}</span>', links)
