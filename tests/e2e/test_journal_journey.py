import re
import time
from datetime import timedelta

from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from accounts.signals import patient_joined
from journal.models import DailyEntry, SafetyAlert, Symptom
from tests.e2e.test_invitation_journey import sign_in
from tests.factories import AppointmentFactory


def choose(page: Page, scale: str, value: str) -> None:
    """Tap a number on a 0–10 scale, as a finger would: on its label."""
    page.get_by_role("group", name=scale, exact=True).get_by_text(value, exact=True).click()


def test_a_patient_logs_edits_backfills_reviews_and_reaches_help(
    live_server, page: Page, deliver_outbox, patient, therapist
):
    """GIVEN a patient who has joined (and so has the starter symptoms), on their phone
    WHEN they log today, change it, fill in yesterday, look at their history and take a
    PHQ-9 reporting thoughts of self-harm
    THEN each step is saved, the calendar and charts show it, the crisis page appears at
    once and, once the outbox is delivered, their therapist is emailed without any content."""
    patient_joined.send(sender=User, patient=patient)
    base = live_server.url
    page.set_default_timeout(10_000)
    sign_in(page, base, patient.email)
    today, yesterday = patient.today(), patient.today() - timedelta(days=1)

    started = time.monotonic()
    page.get_by_role("link", name="Fill in the full log").click()
    expect(page.get_by_role("heading", name="How was today?")).to_be_visible()
    # Nothing is chosen for the patient, and every choice is a 44 px target.
    expect(page.locator("input[type=radio]:checked")).to_have_count(0)
    expect(page.get_by_label("Hours slept")).to_have_value("")
    for label in page.locator("label.scale-option, label.scale-unset").all():
        box = label.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, box
    harm = page.locator(".safety-target").bounding_box()
    assert harm["height"] >= 44, harm
    choose(page, "Mood", "7")
    choose(page, "Anxiety", "3")
    page.get_by_role("radiogroup", name="Worry").get_by_text("Moderate").click()
    page.get_by_text("Add thoughts (optional)").click()
    page.get_by_label("Thoughts (optional)").fill("Lunch with Jo helped.")
    page.screenshot(path="test-results/daily-log.png", full_page=True)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved your log for today.")).to_be_visible()
    assert time.monotonic() - started < 60

    page.get_by_role("link", name="Add more").click()
    expect(page.get_by_label("Thoughts (optional)")).to_have_value("Lunch with Jo helped.")
    choose(page, "Mood", "8")
    page.get_by_role("group", name="Energy", exact=True).get_by_text("Not answered").click()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved for today.")).to_be_visible()
    entry = DailyEntry.objects.get(patient=patient, day=today)
    assert (entry.mood, entry.anxiety, entry.energy, entry.sleep_hours) == (8, 3, None, None)
    assert entry.ratings.get(symptom__in=Symptom.objects.named("Worry")).severity == 2
    assert entry.ratings.count() == 1  # the untouched symptoms have no rating

    page.goto(f"{base}/journal/calendar/")
    page.get_by_role(
        "link", name=f"{yesterday:%A} {yesterday.day} {yesterday:%B}, not logged"
    ).click()
    expect(page.get_by_role("heading", name="How was yesterday?")).to_be_visible()
    choose(page, "Mood", "4")
    page.get_by_role("button", name="Save").click()
    assert DailyEntry.objects.filter(patient=patient).count() == 2

    page.goto(f"{base}/journal/calendar/?month={yesterday:%Y-%m}")
    expect(page.get_by_text(f"{yesterday.day} {yesterday:%B}, mood 4")).to_be_attached()
    page.goto(f"{base}/journal/calendar/?month={today:%Y-%m}")
    expect(page.get_by_text(f"{today.day} {today:%B}, mood 8")).to_be_attached()

    page.goto(f"{base}/journal/trends/?weeks=2")
    scales = page.get_by_role("group", name="Mood, anxiety and energy, last 2 weeks")
    expect(scales.get_by_role("img")).to_have_count(3)  # one small chart each
    page.get_by_text("Show the numbers as a table").click()
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(3)
    page.screenshot(path="test-results/trends.png", full_page=True)

    page.goto(f"{base}/journal/measures/phq9/new/")
    for number in range(1, 10):
        answer = "Several days" if number == 9 else "Not at all"
        page.get_by_role("group", name=f"{number}.").get_by_label(answer, exact=True).check()
    page.get_by_role("button", name="Save my answers").click()
    expect(page.get_by_role("heading", name="Thank you for telling us")).to_be_visible()
    expect(page.get_by_text("Nobody watches entries in real time.", exact=True)).to_be_visible()
    page.screenshot(path="test-results/support.png", full_page=True)

    assert SafetyAlert.objects.filter(patient=patient).count() == 1
    deliver_outbox()
    [alert_email] = [m for m in mail.outbox if therapist.email in m.to]
    assert "Please check in with your patient" in alert_email.subject
    assert "Jo" not in alert_email.body
    assert patient.first_name not in alert_email.body


def test_a_new_patient_logs_a_mood_in_one_tap_and_the_summary_counts_only_that(
    live_server, page: Page, new_phone, patient, therapist
):
    """GIVEN a new patient with no history and a session in two days
    WHEN they tap a mood on their home page, then open the full form with "Add more"
    and share their summary without touching anything else
    THEN one mood is stored and nothing more, the form shows it, and the therapist reads
    one answered mood and no anxiety."""
    patient_joined.send(sender=User, patient=patient)
    AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=timezone.now() + timedelta(days=2)
    )
    base = live_server.url
    page.set_default_timeout(10_000)
    sign_in(page, base, patient.email)

    mood = page.get_by_role("group", name="How is your mood today? One tap saves it.")
    mood.get_by_role("button", name="6", exact=True).click()  # the one tap
    expect(page.get_by_text("Saved: mood 6 for today.")).to_be_visible()
    entry = DailyEntry.objects.get(patient=patient)
    assert (entry.mood, entry.anxiety, entry.energy, entry.sleep_hours) == (6, None, None, None)
    assert not entry.ratings.exists()

    page.get_by_role("link", name="Add more").click()  # the second
    expect(page.get_by_role("heading", name="How was today?")).to_be_visible()
    expect(page.locator("input[type=radio]:checked")).to_have_count(1)
    expect(
        page.get_by_role("group", name="Mood", exact=True).get_by_role("radio", name="6")
    ).to_be_checked()

    page.goto(f"{base}/")
    page.get_by_role("link", name="Prepare your summary").click()
    page.get_by_role("button", name="Prepare my summary now").click()
    page.get_by_role("button", name="Share with Dana Reyes").click()
    expect(page.get_by_text("Shared with Dana Reyes (version 1).")).to_be_visible()

    desk = new_phone()
    sign_in(desk, base, therapist.email)
    desk.get_by_role("link", name="Read shared summary").click()
    overview = desk.locator("#s-overview").locator("xpath=..")
    expect(overview.get_by_role("row", name=re.compile(r"^Mood"))).to_contain_text(
        "1 of 14 days answered"
    )
    expect(overview.get_by_role("row", name=re.compile(r"^Anxiety"))).to_contain_text(
        "0 of 14 days answered"
    )
    expect(overview).to_contain_text("1 of 14 days logged.")
