"""The patient's review of a draft: the tick boxes the page offers, and what the
ticks a form sends mean.

A section's tick governs its items. While a section is left out, its items' boxes
are offered unticked and disabled, and the summary leaves the whole section out
(`summaries.visible`, so a form that says otherwise changes nothing); each item
keeps its own choice, which comes back when the section is ticked again. A box the
page did not offer (disabled, or a section the page did not show) keeps its saved
state; an item that appeared after the page was drawn is ticked only if the
form says so, so nothing the patient has not seen is shared on their behalf.
"""

from datetime import date, datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.text import slugify

from accounts.models import User

from . import summaries
from .models import PreSessionSummary


def section_items(snapshot: dict, section: str) -> list[str]:
    """The keys of the items of `section` that can be left out one by one."""
    if section == "days":
        days = snapshot.get("days") or {}
        return [key for key in ("best_day", "worst_day") if days.get(key)]
    if section in summaries.LIST_SECTIONS:
        return [item["key"] for item in snapshot.get(section) or []]
    return []


def choose(
    draft: PreSessionSummary, shown: set[str], thoughts: set[int], offered: set[str] | None
) -> None:
    """Save the ticks a review form sent: `shown` the ticked keys, `thoughts` the
    flagged entries whose words are ticked to go, `offered` the sections and items
    the page showed (None: all of them, for a form that does not say)."""
    before, snapshot = set(draft.hidden), draft.snapshot

    def was_offered(name: str) -> bool:
        return offered is None or name in offered

    hidden = []
    for section in summaries.SECTIONS:
        key = f"section:{section}"
        if (key not in shown) if was_offered(section) else (key in before):
            hidden.append(key)
        items_were_live = was_offered(section) and key not in before
        for item in section_items(snapshot, section):
            if not was_offered(item):
                hidden.append(item)  # never on the page: not shared on the patient's behalf
            elif (item not in shown) if items_were_live else (item in before):
                hidden.append(item)
    included = [
        item["entry"]
        for item in snapshot.get("flagged") or []
        if (
            item["entry"] in thoughts
            if _thought_was_live(item, before, was_offered)
            else item["entry"] in draft.included_thoughts
        )
    ]
    summaries.save_choices(draft, hidden, included)


def _thought_was_live(item: dict, hidden: set[str], was_offered) -> bool:
    return (
        bool(item["thought"])
        and was_offered("flagged")
        and was_offered(item["key"])
        and "section:flagged" not in hidden
        and item["key"] not in hidden
    )


def offered(sections: list[dict]) -> set[str]:
    """The names a review form drawn from `sections` (see `boxes`) offers."""
    return {section["name"] for section in sections} | {
        item["key"] for section in sections for item in section["items"]
    }


def boxes(snapshot: dict, hidden: list[str], included_thoughts: list[int]) -> list[dict]:
    """Every section the summary holds, with its tick, its items' ticks and how many
    of them are shared, for the review form."""
    hidden_set = set(hidden)
    sections = []
    for section, label in summaries.SECTIONS.items():
        if not _has_content(snapshot, section):
            continue
        section_shown = f"section:{section}" not in hidden_set
        items = [
            {
                "key": key,
                "id": slugify(key),
                "label": text,
                "shown": section_shown and key not in hidden_set,
                "live": section_shown,
                "thought": thought,
            }
            for key, text, thought in _labelled_items(snapshot, section)
        ]
        for item in items:
            if item["thought"] is not None:
                entry = item["thought"]["entry"]
                item["thought"] = {
                    **item["thought"],
                    "id": str(entry),
                    "included": item["shown"] and entry in included_thoughts,
                    "live": item["shown"],
                }
        shared_count = sum(item["shown"] for item in items)
        sections.append(
            {
                "name": section,
                "label": label,
                "shown": section_shown,
                "items": items,
                "shared_count": shared_count,
                "count": _count(section_shown, shared_count, len(items)),
            }
        )
    return sections


def _count(shown: bool, shared: int, items: int) -> str:
    """What a section's row says it shares."""
    if not shown:
        return "not shared"
    return f"{shared} of {items} shared" if items else "shared"


def _has_content(snapshot: dict, section: str) -> bool:
    value = snapshot.get(section)
    if section == "days":
        return bool(section_items(snapshot, "days"))
    if section == "parked":
        return bool(value and value["count"])
    return bool(value)


def _day(iso: str) -> str:
    return format_date(date.fromisoformat(iso), "D j M")


def _labelled_items(snapshot: dict, section: str):
    """(key, label, the day's own words or None) for each item of `section`."""
    if section == "days":
        days = snapshot["days"]
        for key, name in (("best_day", "Best day"), ("worst_day", "Hardest day")):
            if days.get(key):
                yield key, f"{name}: {_day(days[key]['day'])}, mood {days[key]['mood']}", None
        return
    if section in summaries.LIST_SECTIONS:
        for item in snapshot.get(section) or []:
            yield item["key"], _label(section, item), _thought(section, item)


def _label(section: str, item: dict) -> str:
    if section == "symptoms":
        return f"{item['name']}: on {item['days_present']} of {item['days_rated']} days rated"
    if section == "agenda":
        return f"Question: {item['text']}" if item["kind"] == "question" else item["text"]
    if section == "flagged":
        mood = "" if item["mood"] is None else f", mood {item['mood']}"
        return f"{_day(item['day'])}{mood}"
    if section == "goals":
        return f"{item['title']} ({item['status'].lower()})"
    if section == "homework":
        done = "done" if item["done"] else "not done yet"
        return f"{item['description']} ({done})"
    if section == "measures":
        return f"{item['name']}: {item['total']} of {item['max']}"
    if section == "relationship":
        day = format_date(timezone.localtime(datetime.fromisoformat(item["session_at"])), "j M")
        return f"Your ratings after the session on {day}" + (
            ", and your comment" if item["comment"] else ""
        )
    return item["key"]


def _thought(section: str, item: dict) -> dict | None:
    if section != "flagged" or not item["thought"]:
        return None
    return {"entry": item["entry"], "text": item["thought"]}


# An opening as `opening_lines` reads it: the viewer's id and what their name is made
# of (User.display_name), when, and which version.
OPENING_FIELDS = (
    "viewer_id",
    "viewer__first_name",
    "viewer__last_name",
    "viewer__email",
    "viewer__is_active",
    "at",
    "object_id",
)


def opening_lines(openings, therapist, version_of: dict[str, int]) -> list[str]:
    """One line per row of the access log about a shared version (rows of
    OPENING_FIELDS; `version_of` maps a version's id to its number), in the current
    time zone: "Opened by your therapist, Dana Reyes on 3 Mar 2026, 10:02 (version
    2)". Each viewer's name, and each day, is worked out once."""
    therapist_id = therapist.pk if therapist is not None else None
    zone = timezone.get_current_timezone()
    names, days, lines = {}, {}, []
    for viewer_id, first_name, last_name, email, is_active, at, object_id in openings:
        if viewer_id not in names:
            name = "a former user"
            if viewer_id is not None:
                viewer = User(
                    pk=viewer_id,
                    first_name=first_name,
                    last_name=last_name,
                    email=email,
                    is_active=is_active,
                )
                name = viewer.display_name or name
            names[viewer_id] = f"your therapist, {name}" if viewer_id == therapist_id else name
        local = at.astimezone(zone)
        day = local.date()
        if day not in days:
            days[day] = summaries.day_text(day, "j M Y")
        lines.append(
            f"Opened by {names[viewer_id]} on {days[day]}, {local:%H:%M} "
            f"(version {version_of[object_id]})"
        )
    return lines


def version_rows(appointment, shared: list[PreSessionSummary]) -> list[dict]:
    """Each shared version as the page lists it: its number, when it was shared (in
    the current time zone) and where its links and PDF are."""
    return [
        {
            "number": str(summary.version),
            "shared_at": _at(summary.shared_at, "j M") if summary.shared_at else "",
            "links": reverse("prep:summary_links", args=[appointment.pk, summary.version]),
        }
        for summary in shared
    ]


def _at(moment: datetime, day_format: str) -> str:
    """A moment as |date:"<day_format>, H:i" words it, in the current time zone."""
    local = timezone.localtime(moment)
    return f"{summaries.day_text(local.date(), day_format)}, {local:%H:%M}"
