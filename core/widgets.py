"""Form widgets shared by every app."""

from django import forms
from django.utils.html import escape
from django.utils.safestring import mark_safe

# One radio of a scale and its label; the words at an end are read out after its number.
SCALE_OPTION = (
    '<input type="radio" class="btn-check scale-value" name="{name}" id="{id}" value="{value}"'
    '{checked}><label class="btn btn-outline-primary scale-option" for="{id}">{value}{words}'
    "</label>"
)
SCALE_WORDS = '<span class="visually-hidden">, {}</span>'
# The last radio, "Not answered", clears a saved value and looks chosen while no
# number is.
SCALE_CLEAR = (
    '<input type="radio" class="btn-check scale-clear" name="{name}" id="{id}" value="">'
    '<label class="btn btn-outline-secondary scale-unset" for="{id}">Not answered</label>'
)


class ScaleWidget(forms.Widget):
    """A 0–10 scale as a row of radio buttons with words at both ends, plus a
    "Not answered" choice that clears it. Nothing is checked until the patient picks
    a value, so an untouched scale posts nothing and is stored as not answered.
    Works without JavaScript.

    Render it with templates/widgets/scale_field.html, which wraps it in a fieldset
    whose legend is the field's label. The radios themselves are built here, not
    from a template: a form holds several scales of eleven radios each, and a
    template per radio was most of the daily log's rendering time."""

    values = range(11)

    def __init__(self, low: str, high: str, attrs=None):
        super().__init__(attrs)
        self.low, self.high = low, high

    def format_value(self, value):
        """The chosen number, or None when nothing (or nothing valid) is chosen."""
        try:
            number = int(value)
        except (TypeError, ValueError):
            return None
        return number if number in self.values else None

    def render(self, name, value, attrs=None, renderer=None):
        # Every value is escaped once here; numbers need none.
        name = escape(name)
        base = escape(self.build_attrs(self.attrs, attrs).get("id") or f"id_{name}")
        chosen = self.format_value(value)
        words = {0: SCALE_WORDS.format(escape(self.low)), 10: SCALE_WORDS.format(escape(self.high))}
        options = [
            SCALE_OPTION.format(
                name=name,
                id=f"{base}_{number}",
                value=number,
                checked=" checked" if number == chosen else "",
                words=words.get(number, ""),
            )
            for number in self.values
        ]
        clear = SCALE_CLEAR.format(name=name, id=f"{base}_clear")
        return mark_safe(f'<div class="scale-options">{"".join(options)}{clear}</div>')  # noqa: S308

    def id_for_label(self, id_):
        # A group of radios has no single element to label; the fieldset's legend names it.
        return None

    def use_required_attribute(self, initial):
        return False
