"""Formatting only: no clinical rules here."""

from django import template

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
