"""The DEBUG-only mailbox shows what the file backend wrote, links and .ics included."""

import pytest
from django.core.mail import EmailMessage
from django.test import override_settings

from notifications import mailbox


@pytest.fixture
def file_mail(settings, tmp_path):
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    message = EmailMessage(
        "Session booked", "Confirm: http://127.0.0.1:8000/email/abc/", to=["sam@example.com"]
    )
    message.attach("session.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
    message.send()
    return tmp_path


def test_it_lists_reads_and_serves_attachments(client, file_mail, db):
    listing = client.get("/dev/mailbox/").content.decode()
    assert "Session booked" in listing
    [(name, index, _message)] = list(mailbox._messages(file_mail))
    page = client.get(f"/dev/mailbox/{name}/{index}/").content.decode()
    assert '<a href="http://127.0.0.1:8000/email/abc/"' in page
    assert "session.ics" in page
    ics = client.get(f"/dev/mailbox/{name}/{index}/0/")
    assert ics["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VCALENDAR" in ics.content


def test_a_missing_message_is_a_404(client, file_mail, db):
    assert client.get("/dev/mailbox/nope.log/0/").status_code == 404


@override_settings(DEBUG=False)
def test_it_does_not_exist_without_debug(client, db, tmp_path, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    assert client.get("/dev/mailbox/").status_code == 404
