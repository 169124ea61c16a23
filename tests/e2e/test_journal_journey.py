import time
from datetime import timedelta

from django.core import mail
from playwright.sync_api import Page, expect

from accounts.models import User
from accounts.signals import patient_joined
from journal.models import DailyEntry, SafetyAlert
from tests.e2e.test_invitation_journey import sign_in


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
    page.get_by_role("link", name="Log today").click()
    expect(page.get_by_role("heading", name="How was today?")).to_be_visible()
    # The whole form, Save included, fits one phone screen.
    save = page.get_by_role("button", name="Save").bounding_box()
    assert save["y"] + save["height"] <= 844, save
    page.get_by_role("slider", name="Mood").fill("7")
    page.get_by_role("slider", name="Anxiety").fill("3")
    page.get_by_role("radiogroup", name="Worry").get_by_text("Moderate").click()
    page.get_by_text("Add thoughts (optional)").click()
    page.get_by_label("Thoughts (optional)").fill("Lunch with Jo helped.")
    page.screenshot(path="test-results/daily-log.png", full_page=True)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved your log for today.")).to_be_visible()
    assert time.monotonic() - started < 60

    page.get_by_role("link", name="Edit today’s log").click()
    expect(page.get_by_label("Thoughts (optional)")).to_have_value("Lunch with Jo helped.")
    page.get_by_role("slider", name="Mood").fill("8")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("You’ve logged today.")).to_be_visible()
    entry = DailyEntry.objects.get(patient=patient, day=today)
    assert entry.mood == 8
    assert entry.ratings.get(symptom__name="Worry").severity == 2

    page.goto(f"{base}/journal/calendar/")
    page.get_by_role(
        "link", name=f"{yesterday:%A} {yesterday.day} {yesterday:%B}, not logged"
    ).click()
    expect(page.get_by_role("heading", name="How was yesterday?")).to_be_visible()
    page.get_by_role("slider", name="Mood").fill("4")
    page.get_by_role("button", name="Save").click()
    assert DailyEntry.objects.filter(patient=patient).count() == 2

    page.goto(f"{base}/journal/calendar/?month={yesterday:%Y-%m}")
    expect(page.get_by_text(f"{yesterday.day} {yesterday:%B}, mood 4")).to_be_attached()
    page.goto(f"{base}/journal/calendar/?month={today:%Y-%m}")
    expect(page.get_by_text(f"{today.day} {today:%B}, mood 8")).to_be_attached()

    page.goto(f"{base}/journal/trends/?weeks=2")
    expect(page.get_by_role("img", name="Mood, anxiety and energy, last 2 weeks")).to_be_visible()
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
