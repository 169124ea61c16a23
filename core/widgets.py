"""Form widgets shared by every app."""

from django import forms


class ScaleWidget(forms.NumberInput):
    """A 0–10 slider with words at both ends (templates/widgets/scale.html)."""

    input_type = "range"
    template_name = "widgets/scale.html"

    def __init__(self, low: str, high: str):
        super().__init__(attrs={"min": 0, "max": 10, "step": 1, "class": "form-range"})
        self.low, self.high = low, high

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"].update(low=self.low, high=self.high)
        return context
