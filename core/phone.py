"""Phone numbers as people write them, and the tel:/sms: links that dial them.

A number is kept as written (trimmed, spaces collapsed), so it reads the way its
owner knows it; only the link is reduced to digits and a leading "+". Valid means:
digits with optional spaces, dots, dashes and brackets, a "+" only at the start, and
between MIN_DIGITS and MAX_DIGITS digits (E.164 allows at most 15)."""

import re

from django.core.exceptions import ValidationError

MIN_DIGITS = 6
MAX_DIGITS = 15
MAX_LENGTH = 32
_SHAPE = re.compile(r"\+?[\d\s().-]+")


def normalise(number: str) -> str:
    return " ".join(number.split())


def validate_phone(number: str) -> None:
    digits = sum(char.isascii() and char.isdigit() for char in number)
    if (
        len(number) > MAX_LENGTH
        or not number.isascii()
        or not _SHAPE.fullmatch(number)
        or not MIN_DIGITS <= digits <= MAX_DIGITS
    ):
        raise ValidationError(
            "Write a phone number with its digits, for example 07700 900123 or +44 7700 900123.",
            code="invalid_phone",
        )


def dial(scheme: str, number: str) -> str:
    """`tel:+447700900123` for "+44 7700 900123": only digits and a leading "+"."""
    digits = re.sub(r"[^\d+]", "", number)
    return f"{scheme}:{digits[:1]}{digits[1:].replace('+', '')}"
