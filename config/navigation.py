"""The main navigation, one list per role, spelled once.

At most five items show in the bar (a "More" menu counts as one); everything else
is under "More" on a wide screen, and in one menu on a phone. The pages under an
item (a session's summary under Sessions) mark it as the current section, so the
bar always says where you are. templates/partials/nav.html draws it.
"""

from dataclasses import dataclass
from functools import cached_property, lru_cache

from django.conf import settings
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf, reverse

from accounts.models import User

# Items in the bar, "More" included (tests/test_navigation.py holds every role to it).
BAR_LIMIT = 5


@dataclass(frozen=True)
class Item:
    label: str
    url_name: str
    # Other pages that belong to this item: it is the current section there.
    section: tuple[str, ...] = ()


@dataclass(frozen=True)
class Link:
    label: str
    href: str
    # The value of aria-current: "page" on the item's own page, "true" on a page
    # under it, "" elsewhere.
    current: str


# Settings covers allauth's pages too (password, email address, two-factor).
SETTINGS = Item(
    "Settings",
    "accounts:profile",
    section=(
        "notifications:email_preferences",
        "appointments:calendar_feed",
        "accounts:my_access_log",
        "prep:my_data",
        "prep:delete_account",
        "journal:symptoms",
        "account_change_password",
        "account_set_password",
        "account_email",
        "account_reauthenticate",
        "mfa_index",
        "mfa_activate_totp",
        "mfa_deactivate_totp",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_reauthenticate",
    ),
)

# (in the bar, under "More") for each role.
MENUS: dict[str, tuple[tuple[Item, ...], tuple[Item, ...]]] = {
    User.Role.PATIENT: (
        (
            Item(
                "Today",
                "prep:patient_home",
                section=("journal:today", "journal:entry", "appointments:leave_care"),
            ),
            Item(
                "Sessions",
                "prep:session_list",
                section=(
                    "prep:summary_review",
                    "prep:share_automatically",
                    "appointments:own_session_new",
                    "appointments:own_session_edit",
                    "appointments:series_stop",
                ),
            ),
            Item("Calendar", "journal:calendar"),
            Item("Trends", "journal:trends"),
        ),
        (
            Item("Goals", "prep:goals", section=("prep:homework_checklist",)),
            Item("Agenda", "prep:agenda"),
            Item(
                "Questionnaires",
                "journal:measures",
                section=("journal:measure_new", "journal:measure_detail"),
            ),
            Item("Feedback", "feedback:mine", section=("feedback:give_feedback",)),
            Item("Not ready yet", "journal:parked_topics"),
            SETTINGS,
        ),
    ),
    User.Role.THERAPIST: (
        (
            Item("Dashboard", "prep:therapist_dashboard", section=("feedback:alert_detail",)),
            Item(
                "Sessions",
                "prep:appointment_list",
                section=("prep:summary_read", "appointments:appointment_edit"),
            ),
            Item(
                "Patients",
                "accounts:patient_list",
                section=(
                    "prep:patient_detail",
                    "prep:patient_plan",
                    "feedback:patient_feedback",
                    "journal:measure_plan",
                    "appointments:end_care",
                ),
            ),
            Item("Invite a patient", "accounts:invite_patient"),
        ),
        (
            Item("Book a session", "appointments:appointment_new"),
            Item("Reminder emails", "appointments:reminder_log"),
            SETTINGS,
        ),
    ),
    User.Role.MANAGER: (
        (
            Item("Practice", "feedback:practice_home"),
            Item("Invite a therapist", "accounts:invite_therapist"),
            Item("Reminder times", "notifications:practice_settings"),
            Item("Access log", "accounts:practice_access_log"),
            SETTINGS,
        ),
        (),
    ),
}


class Navigation:
    """The signed-in person's links, worked out only if a template asks."""

    def __init__(self, request):
        self.request = request

    @cached_property
    def _menu(self) -> tuple[tuple[Item, ...], tuple[Item, ...]]:
        user = self.request.user
        if not user.is_authenticated:
            return (), ()
        return MENUS.get(user.role, ((), ()))

    @cached_property
    def _view_name(self) -> str:
        match = getattr(self.request, "resolver_match", None)
        return match.view_name if match else ""

    @cached_property
    def _where(self) -> tuple[str, str]:
        """What an address depends on besides its name (see _address)."""
        return get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF

    def _fixed(self, url_name: str) -> str:
        return _address(url_name, *self._where)

    def _link(self, item: Item) -> Link:
        href = self._fixed(item.url_name)
        if self._view_name == item.url_name and self.request.path == href:
            current = "page"
        elif self._view_name in item.section or self._view_name == item.url_name:
            current = "true"
        else:
            current = ""
        return Link(item.label, href, current)

    @cached_property
    def primary(self) -> list[Link]:
        return [self._link(item) for item in self._menu[0]]

    @cached_property
    def more(self) -> list[Link]:
        return [self._link(item) for item in self._menu[1]]

    @property
    def primary_items(self) -> str:
        return _items(tuple(self.primary))

    @property
    def more_items(self) -> str:
        return _items(tuple(self.more))

    @property
    def more_is_current(self) -> bool:
        return any(link.current for link in self.more)

    # The header's own links and the app manifest, the same on every page: reversed
    # once, as the menu's are, rather than by {% url %} on every page.
    @property
    def home(self) -> str:
        return self._fixed("home")

    @property
    def help_now(self) -> str:
        return self._fixed("journal:support")

    @property
    def sign_in(self) -> str:
        return self._fixed("account_login")

    @property
    def sign_out(self) -> str:
        return self._fixed("account_logout")

    @property
    def web_manifest(self) -> str:
        return self._fixed("web_manifest")


@lru_cache(maxsize=256)
def _address(url_name: str, script_prefix: str, urlconf: str) -> str:
    """A menu item's address, worked out once: it depends only on these three, and
    every page would otherwise reverse its ten-odd menu links again."""
    return reverse(url_name, urlconf=urlconf)


def _items(links: tuple[Link, ...]) -> str:
    """templates/partials/_nav_links.html for these links. A role's menu has only a
    few states (which item, if any, is current), so each is drawn once per process
    instead of twenty-odd template loops on every page; in development, every time,
    so a changed template shows at once."""
    if settings.DEBUG:
        return _draw(links)
    return _draw_once(links)


def _draw(links: tuple[Link, ...]) -> str:
    return get_template("partials/_nav_links.html").render({"links": links})


@lru_cache(maxsize=256)
def _draw_once(links: tuple[Link, ...]) -> str:
    return _draw(links)
