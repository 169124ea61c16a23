from datetime import date, datetime

from django import template

register = template.Library()


@register.filter
def isodate(value):
    """A date or datetime stored as ISO text in a summary snapshot, for |date."""
    if not value:
        return None
    if "T" in value:
        return datetime.fromisoformat(value)
    return date.fromisoformat(value)


@register.filter
def signed(value):
    if value is None:
        return "–"
    return f"+{value:g}" if value > 0 else f"{value:g}"
