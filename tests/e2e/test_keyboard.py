"""With the keyboard alone (Tab, Space, Enter and the arrow keys, no pointer): the
daily log, the PHQ-9 and GAD-7, and relationship feedback can be completed and sent,
and every control shows where the focus is."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from accounts.signals import patient_joined
from feedback.models import SessionFeedback
from journal.models import DailyEntry, MeasureResponse
from tests.e2e.test_invitation_journey import sign_in
from tests.factories import AttendedAppointmentFactory

# A page has fewer focusable controls than this before any one a test looks for.
MAX_TABS = 150

FOCUSED = """() => {
  const el = document.activeElement;
  return el ? `${el.tagName.toLowerCase()} ${el.name || ""} ${el.value || ""}`
            + ` ${(el.innerText || "").trim().slice(0, 30)}` : "nothing";
}"""


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until the focused element matches `selector`, as a keyboard user
    moves through a page; fail if it is never reached."""
    seen = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
        seen.append(page.evaluate(FOCUSED))
    pytest.fail(f"Tab never reached {selector}; it went through {seen}")


def checked(page: Page, name: str) -> str | None:
    return page.evaluate(
        "n => document.querySelector(`input[name='${n}']:checked`)?.value ?? null", name
    )


def test_the_daily_log_with_the_keyboard_alone(live_server, page: Page, patient):
    patient_joined.send(sender=User, patient=patient)  # the starter symptoms
    sign_in(page, live_server.url, patient.email)
    page.goto(f"{live_server.url}/journal/")

    # A radio group: Tab enters it, each arrow press moves the choice on by one.
    tab_to(page, "input[name=mood]")
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    assert checked(page, "mood") == "7"
    tab_to(page, "input[name=anxiety]")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert checked(page, "anxiety") == "2"

    tab_to(page, "input[name^=symptom_]")
    symptom = page.evaluate("() => document.activeElement.name")
    for _ in range(3):  # past "–" (not rated), "None" and "Mild"
        page.keyboard.press("ArrowRight")
    assert checked(page, symptom) == "2"

    tab_to(page, "details summary")
    page.keyboard.press("Enter")
    tab_to(page, "textarea[name=thoughts]")
    page.keyboard.type("Walked to work.")
    tab_to(page, "input[name=discuss_next_session]")
    page.keyboard.press("Space")

    tab_to(page, "form.daily-log button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Saved your log for today.")).to_be_visible()
    entry = DailyEntry.objects.get(patient=patient)
    assert (entry.mood, entry.anxiety, entry.thoughts) == (7, 2, "Walked to work.")
    assert entry.discuss_next_session
    assert entry.ratings.get(symptom__pk=int(symptom.removeprefix("symptom_"))).severity == 2


@pytest.mark.parametrize(("kind", "items"), [("phq9", 9), ("gad7", 7)])
def test_a_questionnaire_with_the_keyboard_alone(live_server, page: Page, patient, kind, items):
    sign_in(page, live_server.url, patient.email)
    page.goto(f"{live_server.url}/journal/measures/{kind}/new/")

    for number in range(1, items + 1):
        tab_to(page, f"input[name=item_{number}]")
        if number == 9:
            page.keyboard.press("Space")  # "Not at all": the first answer
        else:
            page.keyboard.press("ArrowDown")  # "Several days": the second
    tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/journal/measures/\d+/$"))
    response = MeasureResponse.objects.get(patient=patient)
    assert response.total == 8 if kind == "phq9" else 7


def test_relationship_feedback_with_the_keyboard_alone(live_server, page: Page, patient, therapist):
    session = AttendedAppointmentFactory(therapist=therapist, patient=patient)
    sign_in(page, live_server.url, patient.email)
    page.goto(f"{live_server.url}/sessions/{session.pk}/feedback/")

    tab_to(page, "input[name=bond]")
    for _ in range(8):
        page.keyboard.press("ArrowRight")
    tab_to(page, "input[name=overall]")
    page.keyboard.press("Space")  # 0, then one up
    page.keyboard.press("ArrowRight")
    tab_to(page, "textarea[name=comment]")
    page.keyboard.type("More time for questions, please.")
    tab_to(page, "input[name=discuss_next_time]")
    page.keyboard.press("Space")
    tab_to(page, "input[name=visibility]")
    page.keyboard.press("Space")  # the first choice
    chosen = checked(page, "visibility")
    tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text("Your feedback is saved")
    feedback = SessionFeedback.objects.get(appointment=session)
    assert (feedback.bond, feedback.goals, feedback.approach, feedback.overall) == (
        8,
        None,
        None,
        1,
    )
    assert feedback.comment == "More time for questions, please."
    assert feedback.discuss_next_time
    assert feedback.visibility == chosen


# Whether the focused control, or for a visually hidden radio or tick the label a
# person sees as its button, has an outline or a ring that it loses without the focus.
FOCUS_SHOWN = """() => {
  const el = document.activeElement;
  const drawn = [el, ...(el.labels || [])].map((node) => () => {
    const style = getComputedStyle(node);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
    const ring = style.boxShadow !== "none";
    return [outline || ring, `${style.outline} ${style.boxShadow}`];
  });
  const focused = drawn.map((look) => look());
  el.blur();
  const unfocused = drawn.map((look) => look());
  el.focus();
  return focused.some(([shown, look], n) => shown && look !== unfocused[n][1]);
}"""


@pytest.mark.parametrize(
    "path",
    ["/accounts/login/", "/journal/", "/journal/measures/phq9/new/", "/feedback/", "/settings/"],
)
def test_every_control_shows_where_the_focus_is(live_server, page: Page, patient, path):
    """GIVEN a page, moved through with Tab
    WHEN each control in turn has the focus
    THEN it (or the label a hidden radio draws as its button) has an outline or a
    ring that it does not have without the focus."""
    page.emulate_media(reduced_motion="reduce")  # no transition half way through
    if path != "/accounts/login/":
        sign_in(page, live_server.url, patient.email)
    page.goto(f"{live_server.url}{path}")
    page.keyboard.press("Tab")  # the skip link first
    unmarked = []
    for _ in range(40):
        where = page.evaluate(FOCUSED)
        if where.startswith("body"):
            break  # past the last control
        if not page.evaluate(FOCUS_SHOWN):
            unmarked.append(where)
        page.keyboard.press("Tab")
    assert not unmarked, f"focus not shown on {path}: {unmarked}"
