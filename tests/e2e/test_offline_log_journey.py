from django.db import IntegrityError
from playwright.sync_api import Page, expect

from accounts.models import User
from accounts.signals import patient_joined
from journal.models import DailyEntry
from tests.e2e.navigation import sign_out
from tests.e2e.test_invitation_journey import sign_in
from tests.e2e.test_journal_journey import choose

SAVED = "Saved on this phone. It will be sent when you’re back online."
QUEUED = """() => new Promise((resolve, reject) => {
  const request = indexedDB.open("between-sessions", 1);
  request.onupgradeneeded = () =>
    request.result.createObjectStore("queued-entries", { keyPath: "token" });
  request.onsuccess = () => {
    const read = request.result.transaction("queued-entries").objectStore("queued-entries").count();
    read.onsuccess = () => { request.result.close(); resolve(read.result); };
  };
  request.onerror = () => reject(request.error);
})"""
KEPT = """async () => ({
  databases: (await indexedDB.databases()).map((db) => db.name),
  caches: await caches.keys(),
})"""


def _busy(*args, **kwargs):
    raise IntegrityError("the same day, a moment ago, from another device")


def test_a_patient_logs_with_no_connection_and_it_is_sent_once_when_back(
    live_server, page: Page, patient, monkeypatch
):
    """GIVEN a patient signed in on their phone, on today's daily log
    WHEN the connection drops, they save, reload (still offline) and save more on the
    page the phone kept, then the connection returns
    THEN both are kept on the phone, then sent, and the server has exactly one entry
    for the day holding both; signing out with an entry that could not be sent warns
    first, then leaves nothing of the log on the phone."""
    patient_joined.send(sender=User, patient=patient)
    base = live_server.url
    context = page.context
    page.set_default_timeout(10_000)
    sign_in(page, base, patient.email)
    today = patient.today()
    # The first page installs the service worker (it keeps the offline page); the
    # pages opened after it are in its care.
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.get_by_role("link", name="Fill in the full log").click()
    expect(page.get_by_role("heading", name="How was today?")).to_be_visible()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")

    context.set_offline(True)
    choose(page, "Mood", "4")
    page.get_by_text("Add thoughts (optional)").click()
    page.get_by_label("Thoughts (optional)").fill("The train was cancelled.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(SAVED)).to_be_visible()
    assert not DailyEntry.objects.filter(patient=patient).exists()

    page.reload()
    expect(page.get_by_role("heading", name="How was today?")).to_be_visible()
    expect(page.get_by_text("You’re offline.")).to_be_visible()
    # No symptom names on the page the phone kept: they wait for the connection.
    expect(page.get_by_text("Worry")).to_have_count(0)
    expect(page.get_by_text("Your symptoms aren’t listed here")).to_be_visible()
    choose(page, "Energy", "6")
    page.get_by_role("button", name="Save on this phone").click()
    expect(page.get_by_text(SAVED)).to_be_visible()
    assert page.evaluate(QUEUED) == 2

    context.set_offline(False)
    expect(page.get_by_text("Your log for today is saved.")).to_have_count(2)
    expect(page.get_by_text("Sent.").first).to_be_visible()
    assert page.evaluate(QUEUED) == 0
    entry = DailyEntry.objects.get(patient=patient, day=today)
    assert (entry.mood, entry.energy, entry.anxiety) == (4, 6, None)
    assert entry.thoughts == "The train was cancelled."

    # The one-tap mood, offline, while the server can't be reached once back online.
    page.goto(f"{base}/")
    # Refused by the server itself, so the service worker's own sending (which a
    # browser route does not see) keeps it too.
    monkeypatch.setattr("journal.offline.apply", _busy)
    context.set_offline(True)
    page.get_by_role("button", name="5", exact=True).click()
    expect(page.get_by_text(SAVED)).to_be_visible()
    context.set_offline(False)
    sign_out(page)
    expect(page.get_by_role("heading", name="Sign out")).to_be_visible()
    expect(
        page.get_by_text(
            "1 entry saved on this phone hasn’t been sent yet. Signing out deletes it."
        )
    ).to_be_visible()
    page.get_by_role("main").get_by_role("button", name="Sign out").click()
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in")
    ).to_be_visible()

    # Deleting the database completes once the service worker lets go of it.
    page.wait_for_function(
        "async () => !(await indexedDB.databases()).some((db) => db.name === 'between-sessions')",
        timeout=10_000,
    )
    kept = page.evaluate(KEPT)
    assert "between-sessions" not in kept["databases"]
    assert kept["caches"] == []
    assert DailyEntry.objects.get(patient=patient, day=today).mood == 4


def test_a_save_that_cannot_get_through_while_the_phone_says_online_is_kept(
    live_server, page: Page, patient
):
    """GIVEN a patient on today's daily log, in the service worker's care
    WHEN the connection is dead but the phone still says it is online, and they save
    THEN the answers are kept on the phone (not lost to an error page), the page says
    so, and once the connection is back exactly one entry holds them."""
    patient_joined.send(sender=User, patient=patient)
    base = live_server.url
    page.set_default_timeout(10_000)
    sign_in(page, base, patient.email)
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.get_by_role("link", name="Fill in the full log").click()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")

    page.context.set_offline(True)
    page.evaluate(
        "() => Object.defineProperty(Navigator.prototype, 'onLine', "
        "{ get: () => true, configurable: true })"
    )
    choose(page, "Mood", "3")
    page.get_by_text("Add thoughts (optional)").click()
    page.get_by_label("Thoughts (optional)").fill("Signal kept dropping.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(SAVED)).to_be_visible()
    # The service worker kept it and opened the page the phone keeps.
    expect(page).to_have_url(f"{base}/journal/offline/?kept={patient.today().isoformat()}")
    assert page.evaluate(QUEUED) == 1
    assert not DailyEntry.objects.filter(patient=patient).exists()

    page.context.set_offline(False)
    expect(page.get_by_text("Your log for today is saved.")).to_have_count(1)
    assert page.evaluate(QUEUED) == 0
    entry = DailyEntry.objects.get(patient=patient, day=patient.today())
    assert (entry.mood, entry.thoughts) == (3, "Signal kept dropping.")
