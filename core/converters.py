"""Path converters every app's URLs use."""

from django.urls import register_converter

# The largest id a 64-bit signed column holds (PostgreSQL bigint, SQLite integer).
LARGEST_ID = 2**63 - 1


class IdConverter:
    """Digits naming a row: like Django's `int`, but a number no column can hold is no
    page (404) rather than an overflow in the database driver (500)."""

    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        # Check the length first: int() refuses strings longer than 4,300 digits.
        if len(value) > len(str(LARGEST_ID)) or int(value) > LARGEST_ID:
            raise ValueError("no row has this id")  # the resolver answers 404
        return int(value)

    def to_url(self, value) -> str:
        return str(value)


def register() -> None:
    register_converter(IdConverter, "id")
