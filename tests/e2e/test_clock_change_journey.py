"""A therapist books a session on the Sunday London's clocks go forward, on a phone,
then moves it by its time alone: the move form keeps its date, and the reminders sit
exactly 24 and 2 hours before the session's instant in the outbox."""

from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from appointments import emails as session_emails
from appointments.models import Appointment
from notifications.models import Message
from tests.e2e.test_invitation_journey import open_menu_item, sign_in


def pending_reminders(appointment) -> dict[str, datetime]:
    rows = Message.objects.about([session_emails.REMINDER], appointment.pk).pending()
    return {row.variant: row.due_at for row in rows}


def test_a_clock_change_booking_moved_by_its_time_alone(
    live_server, page: Page, therapist, patient
):
    base = live_server.url
    page.set_default_timeout(10_000)
    sign_in(page, base, therapist.email)
    open_menu_item(page, "Sessions")
    page.get_by_role("link", name="Book a session").click()
    page.get_by_label("Date").fill("2027-03-28")
    page.get_by_label("Start time").fill("10:00")
    page.get_by_label("Room, address or video link").fill("Room 2")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text(f"with {patient.display_name}.")).to_be_visible()

    appointment = Appointment.objects.get(patient=patient)
    instant = datetime(2027, 3, 28, 9, 0, tzinfo=UTC)  # 10:00 BST
    assert appointment.starts_at == instant
    assert pending_reminders(appointment) == {
        "first": instant - timedelta(hours=24),  # 09:00 GMT on the Saturday
        "second": instant - timedelta(hours=2),
    }

    open_menu_item(page, "Sessions")
    page.get_by_role("link", name="Move or cancel").first.click()
    expect(page.get_by_label("Date")).to_have_value("2027-03-28")
    expect(page.get_by_label("Start time")).to_have_value("10:00")
    page.get_by_label("Start time").fill("02:30")
    page.get_by_role("button", name="Move session").click()
    expect(
        page.get_by_text(f"Moved to Sunday 28 March, 02:30 with {patient.display_name}.")
    ).to_be_visible()

    appointment.refresh_from_db()
    instant = datetime(2027, 3, 28, 1, 30, tzinfo=UTC)  # 02:30 BST, just after the jump
    assert appointment.starts_at == instant
    assert pending_reminders(appointment) == {
        "first": instant - timedelta(hours=24),
        "second": instant - timedelta(hours=2),  # 23:30 GMT the night before
    }
