"""Form widgets shared by every app."""

from django import forms


class ScaleWidget(forms.Widget):
    """A 0–10 scale as a row of radio buttons with words at both ends, plus a
    "Not answered" choice that clears it (templates/widgets/scale.html). Nothing is
    checked until the patient picks a value, so an untouched scale posts nothing and
    is stored as not answered. Works without JavaScript.

    Render it with templates/widgets/scale_field.html, which wraps it in a fieldset
    whose legend is the field's label."""

    template_name = "widgets/scale.html"
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

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        base = widget["attrs"].get("id") or f"id_{name}"
        chosen = widget["value"]
        options = []
        for number in self.values:
            words = self.low if number == 0 else self.high if number == 10 else ""
            options.append(
                {
                    "value": number,
                    "id": f"{base}_{number}",
                    "checked": number == chosen,
                    "words": words,
                }
            )
        widget.update(
            low=self.low,
            high=self.high,
            options=options,
            clear_id=f"{base}_clear",
            base_id=base,
        )
        return context

    def id_for_label(self, id_):
        # A group of radios has no single element to label; the fieldset's legend names it.
        return None

    def use_required_attribute(self, initial):
        return False
