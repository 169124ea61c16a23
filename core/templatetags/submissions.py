"""{% load submissions %}{% submission_token %} inside a state-changing <form>: a
hidden field holding a fresh one-time token, which @one_submission checks."""

from django import template

from core.submissions import hidden_field

register = template.Library()


@register.simple_tag
def submission_token():
    return hidden_field()
