"""Building emails: plain text stays plain, headers stay one line."""

from core.emails import build_email


def test_plain_text_keeps_names_as_written_and_html_escapes_them(db):
    message = build_email(
        "rebook_request",
        {"name": "Dana", "patient_name": "Seán O'Brien <3", "therapist_name": "Dana"},
        to=["dana@example.com"],
    )
    assert "Seán O'Brien <3" in message.body
    html = message.alternatives[0][0]
    assert "O&#x27;Brien &lt;3" in html
    assert "O'Brien <3" not in html


def test_a_line_break_in_a_name_never_reaches_a_header(db):
    message = build_email(
        "invitation",
        {"therapist_name": "Dana\nBcc: someone@evil.example", "first_name": "Robin"},
        to=["robin@example.com"],
    )
    assert "\n" not in message.subject
    message.message()  # builds the headers: no BadHeaderError
