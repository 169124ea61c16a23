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


def test_an_email_is_written_out_as_the_email_package_writes_it(db):
    """GIVEN an email with a long subject, a name outside ASCII and an attachment
    WHEN it is written out (with the short cuts for its boundaries and headers)
    THEN the bytes are those the email package's own folding writes, and each
    multipart part has a boundary of its own."""
    import email
    from email._policybase import compat32

    message = build_email(
        "rebook_request",
        {"name": "Zoë", "patient_name": "Seán Ó Briain " * 6, "therapist_name": "Dana"},
        to=["dana@example.com"],
    )
    message.attach("session.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
    built = message.message()
    quick = built.as_bytes(linesep="\r\n")
    built.policy = compat32
    assert quick == built.as_bytes(linesep="\r\n")

    boundaries = [part.get_boundary() for part in built.walk() if part.is_multipart()]
    assert len(boundaries) == len(set(boundaries)) == 2
    parsed = email.message_from_bytes(quick)
    assert [part.get_content_type() for part in parsed.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    assert "Seán Ó Briain" in parsed.get_payload(0).get_payload(0).get_payload(decode=True).decode()
