"""{% load feedback_ratings %}{{ item|ratings }}: one feedback's four ratings as a
list; an unanswered one says so, and the average says how many answers it rests on.

Written here rather than as an included template: pages list many feedbacks (the
practice page 25 at a time), and an include costs some twenty template nodes a
feedback where this costs one."""

from functools import lru_cache

from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from feedback.questions import QUESTIONS, RATINGS

register = template.Library()

# Each question's start of line, escaped once.
_LINE = {name: f"  <li>{escape(QUESTIONS[name])}: " for name in RATINGS}
_NOT_ANSWERED = '<span class="text-muted">not answered</span></li>\n'


@register.filter
def ratings(item) -> SafeString:
    """`item` is a SessionFeedback (or anything with its four ratings, `mean` and
    `answered_text`)."""
    lines = ['<ul class="list-unstyled mb-1 small">\n']
    for name in RATINGS:
        value = getattr(item, name)
        answer = _NOT_ANSWERED if value is None else f"<strong>{escape(value)}</strong></li>\n"
        lines.append(_LINE[name] + answer)
    lines.append(
        f"  <li>Average: <strong>{_one_decimal(item.mean, get_language())}</strong> out of 10 "
        f"({escape(item.answered_text)})</li>\n</ul>"
    )
    return SafeString("".join(lines))


@lru_cache(maxsize=512)
def _one_decimal(mean: float | None, language: str) -> str:
    """`mean|floatformat:1`, escaped. A mean of four answers from 0 to 10 takes
    only a few hundred values, and floatformat is slow."""
    return escape(floatformat(mean, 1))
