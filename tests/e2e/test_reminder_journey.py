import re
from datetime import time, timedelta
from pathlib import Path

import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from appointments import emails as session_emails
from appointments.models import Appointment
from feedback.emails import FEEDBACK_REQUEST
from journal.emails import DAILY_NUDGE
from notifications import daily
from notifications.models import Message, PracticeSettings
from prep.emails import SUMMARY_READY
from tests.e2e.test_invitation_journey import open_menu_item, sign_in

# Every kind of email about one session (the outbox names a session only by its id).
ABOUT_THE_SESSION = (
    *session_emails.ABOUT_A_SESSION,
    session_emails.CANCELLED,
    FEEDBACK_REQUEST,
    SUMMARY_READY,
)


def emails_about(appointment):
    return Message.objects.about(ABOUT_THE_SESSION, appointment.pk)


def test_a_reminder_arrives_with_a_calendar_file_and_links_that_work_without_signing_in(
    live_server, page: Page, new_phone, settings, tmp_path, deliver_outbox, therapist, patient
):
    """GIVEN email written to files (as with `make run`) and a short first reminder
    WHEN the therapist books a session 25 hours ahead and an hour passes
    THEN the mailbox holds the reminder with an .ics, and its links confirm and cancel
    the session for a patient who is not signed in."""
    settings.DEBUG = True  # the development mailbox
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    settings.SITE_URL = live_server.url
    PracticeSettings.objects.create(first_reminder_hours=24, second_reminder_hours=2)
    base = live_server.url
    page.set_default_timeout(10_000)

    sign_in(page, base, therapist.email)
    open_menu_item(page, "Sessions")
    page.get_by_role("link", name="Book a session").click()
    starts = timezone.localtime(timezone.now() + timedelta(hours=25), therapist.zone)
    starts = starts.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    page.get_by_label("Date").fill(starts.date().isoformat())
    page.get_by_label("Start time").fill(starts.strftime("%H:%M"))
    page.get_by_label("Room, address or video link").fill("Room 2, 14 Harbour Street")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text(f"with {patient.display_name}.")).to_be_visible()
    appointment = Appointment.objects.get(patient=patient)

    deliver_outbox()  # the booking confirmation, due now
    with time_machine.travel(appointment.starts_at - timedelta(hours=24, minutes=-1)):
        deliver_outbox()  # the first reminder's minute has come
    assert (
        emails_about(appointment)
        .filter(kind=session_emails.REMINDER, status=Message.Status.SENT)
        .count()
        == 1
    )

    inbox = new_phone()
    inbox.goto(f"{base}/dev/mailbox/")
    inbox.get_by_role("link", name=re.compile("Reminder: your session")).click()
    expect(inbox.get_by_text("Room 2, 14 Harbour Street")).to_be_visible()
    expect(inbox.get_by_role("link", name="session.ics")).to_be_visible()
    with inbox.expect_download() as download:
        inbox.get_by_role("link", name="session.ics").click()
    ics = Path(download.value.path()).read_text(encoding="utf-8")
    assert "METHOD:REQUEST" in ics
    assert f"UID:appointment-{appointment.pk}@" in ics

    confirm = inbox.locator("pre a", has_text="/email/").first.get_attribute("href")
    cancel = inbox.locator("pre a", has_text="/email/").nth(1).get_attribute("href")
    patient_phone = new_phone()  # not signed in
    patient_phone.goto(confirm)
    patient_phone.get_by_role("button", name="Yes, I’ll be there").click()
    expect(patient_phone.get_by_text("Thank you, it’s confirmed")).to_be_visible()

    patient_phone.goto(cancel)
    patient_phone.get_by_role("button", name="Cancel the session").click()
    expect(patient_phone.get_by_role("heading", name="The session is cancelled")).to_be_visible()
    appointment.refresh_from_db()
    assert appointment.outcome == Appointment.Outcome.CANCELLED_BY_PATIENT
    patient_phone.goto(cancel)
    expect(patient_phone.get_by_role("heading", name="This session is cancelled")).to_be_visible()

    deliver_outbox()
    inbox.goto(f"{base}/dev/mailbox/")
    expect(inbox.get_by_role("link", name=re.compile("Session cancelled"))).to_be_visible()
    assert not emails_about(appointment).pending().exists()


def test_the_daily_nudge_arrives_at_local_time_only_when_the_day_is_not_logged(
    live_server, page: Page, settings, tmp_path, deliver_outbox, patient
):
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    settings.SITE_URL = live_server.url
    patient.timezone = "America/New_York"
    patient.reminder_time = time(19, 0)
    patient.save()
    base = live_server.url
    page.set_default_timeout(10_000)

    [nudge] = daily.plan(patient)
    assert nudge.kind == DAILY_NUDGE
    assert timezone.localtime(nudge.due_at, patient.zone).time() == time(19, 0)
    with time_machine.travel(nudge.due_at + timedelta(seconds=5)):
        deliver_outbox()
        [tomorrow] = daily.plan(patient)
    page.goto(f"{base}/dev/mailbox/")
    page.get_by_role("link", name=re.compile("A minute for today")).click()
    log_link = page.locator("pre a", has_text="/journal/").first.get_attribute("href")

    with time_machine.travel(tomorrow.due_at - timedelta(hours=2)):
        sign_in(page, base, patient.email)
        page.goto(f"{base}/journal/")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Saved your log for today.")).to_be_visible()
    with time_machine.travel(tomorrow.due_at + timedelta(seconds=5)):
        deliver_outbox()
    tomorrow.refresh_from_db()
    assert tomorrow.status == Message.Status.SKIPPED
    assert log_link.endswith(f"/journal/{timezone.localtime(nudge.due_at, patient.zone).date()}/")
