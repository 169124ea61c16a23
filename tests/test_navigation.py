"""The main navigation, through the pages: at most five items in the bar for each
role (the rest under "More"), every item also in the phone menu, Sign out a form in
both, no script needed to open anything, and aria-current on the page you are on
(and on its section from a page under it)."""

from html.parser import HTMLParser

import pytest
from django.urls import get_resolver, reverse

from config.navigation import BAR_LIMIT, MENUS
from tests.factories import AppointmentFactory


class _MainNav(HTMLParser):
    """The links and forms of <nav aria-label="Main">, by where they sit: the bar,
    its "More" menu, the phone menu (#main-nav), or the header itself (the name,
    "Need help now", "Sign in")."""

    VOID = {"input", "img", "br", "hr", "meta", "link", "source", "col", "area", "wbr"}

    def __init__(self):
        super().__init__()
        self.stack: list[dict] = []
        self.links: list[dict] = []
        self.summaries: list[str] = []
        self.sign_out_forms: list[str] = []
        self.bar_items = 0
        self.help_links = 0
        self._text: list[str] | None = None
        self._summary: list[str] | None = None
        self.raw_attributes: list[dict] = []

    def _inside(self, test) -> bool:
        return any(test(attributes) for attributes in self.stack)

    def _in_nav(self) -> bool:
        return self._inside(lambda a: a.get("aria-label") == "Main")

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs, tag=tag)
        in_nav = self._in_nav() or attributes.get("aria-label") == "Main"
        if in_nav:
            self.raw_attributes.append(attributes)
        if (
            tag == "li"
            and in_nav
            and self.stack
            and "site-nav-bar" in (self.stack[-1].get("class") or "")
        ):
            self.bar_items += 1
        if tag == "a" and in_nav:
            place = (
                "menu"
                if self._inside(lambda a: a.get("id") == "main-nav")
                else "more"
                if self._inside(lambda a: "nav-dropdown" in (a.get("class") or ""))
                else "bar"
                if self._inside(lambda a: "site-nav-bar" in (a.get("class") or ""))
                else "header"
            )
            self.links.append(
                {"href": attributes.get("href"), "current": attributes.get("aria-current"),
                 "place": place, "class": attributes.get("class") or "", "text": ""}
            )  # fmt: skip
            self._text = []
        if tag == "summary" and in_nav:
            self._summary = []
        if tag == "form" and in_nav:
            self.sign_out_forms.append(attributes.get("action"))
        if tag not in self.VOID:
            self.stack.append(attributes)

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)
        if self._summary is not None:
            self._summary.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._text is not None:
            self.links[-1]["text"] = "".join(self._text).strip()
            self._text = None
        if tag == "summary" and self._summary is not None:
            self.summaries.append("".join(self._summary).strip())
            self._summary = None
        if tag not in self.VOID and self.stack:
            self.stack.pop()


def main_nav(page: str) -> _MainNav:
    parser = _MainNav()
    parser.feed(page)
    return parser


ROLES = ["patient", "therapist", "manager"]


@pytest.fixture
def signed_in(client, request, settings):
    settings.REQUIRE_STAFF_MFA = False

    def sign_in(role: str):
        person = request.getfixturevalue(role)
        client.force_login(person)
        return person

    return sign_in


def items_of(person):
    bar, more = MENUS[person.role]
    return list(bar), list(more)


@pytest.mark.parametrize("role", ROLES)
def test_the_bar_holds_at_most_five_items_and_the_menu_holds_them_all(client, signed_in, role):
    person = signed_in(role)
    response = client.get(reverse("home"), follow=True)
    assert response.status_code == 200
    nav = main_nav(response.content.decode())
    bar, more = items_of(person)

    assert nav.bar_items <= BAR_LIMIT
    assert nav.bar_items == len(bar) + bool(more)
    assert [link["text"] for link in nav.links if link["place"] == "bar"] == [
        item.label for item in bar
    ]
    assert [link["text"] for link in nav.links if link["place"] == "more"] == [
        item.label for item in more
    ]
    # The phone menu: everything, bar and "More", in one list.
    assert [link["text"] for link in nav.links if link["place"] == "menu"] == [
        item.label for item in bar + more
    ]
    assert nav.summaries == (["More", "Menu"] if more else ["Menu"])
    # Sign out is a POST form, on wide screens and in the phone menu.
    assert nav.sign_out_forms == [reverse("account_logout")] * 2


@pytest.mark.parametrize("role", ROLES)
def test_nothing_needs_bootstraps_script_to_open(client, signed_in, role):
    signed_in(role)
    page = client.get(reverse("home"), follow=True).content.decode()
    nav = main_nav(page)
    assert not any("data-bs-toggle" in attributes for attributes in nav.raw_attributes)
    assert not any(
        "collapse" in (attributes.get("class") or "").split() for attributes in nav.raw_attributes
    )
    assert "navbar-toggler" not in page


EVERY_ITEM = [
    pytest.param(role, item.url_name, id=f"{role}-{item.url_name}")
    for role in ROLES
    for item in (*MENUS[role][0], *MENUS[role][1])
]


@pytest.mark.parametrize(("role", "url_name"), EVERY_ITEM)
def test_every_item_opens_and_is_marked_as_the_current_page(client, signed_in, role, url_name):
    signed_in(role)
    href = reverse(url_name)
    response = client.get(href)
    assert response.status_code == 200
    nav = main_nav(response.content.decode())
    current = [link for link in nav.links if link["current"]]
    # The same item in the bar (or "More") and in the phone menu, nothing else.
    assert {link["href"] for link in current} == {href}
    assert {link["current"] for link in current} == {"page"}
    assert len(current) == 2


def test_a_page_under_an_item_marks_its_section(client, signed_in, patient, therapist):
    signed_in("patient")
    entry = reverse("journal:entry", args=[patient.today()])
    nav = main_nav(client.get(entry).content.decode())
    current = {(link["href"], link["current"]) for link in nav.links if link["current"]}
    assert current == {(reverse("prep:patient_home"), "true")}

    session = AppointmentFactory(therapist=therapist, patient=patient)
    page = client.get(reverse("prep:summary_review", args=[session.pk])).content.decode()
    current = {(link["href"], link["current"]) for link in main_nav(page).links if link["current"]}
    assert current == {(reverse("prep:session_list"), "true")}


def test_an_item_under_more_marks_more_itself(client, signed_in):
    signed_in("patient")
    page = client.get(reverse("prep:goals")).content.decode()
    assert '<summary class="site-nav-link is-current">More</summary>' in page
    page = client.get(reverse("journal:trends")).content.decode()
    assert '<summary class="site-nav-link">More</summary>' in page


def test_signed_out_the_bar_offers_sign_in_marked_on_its_own_page(client, db):
    nav = main_nav(client.get(reverse("account_login")).content.decode())
    assert [(link["text"], link["current"]) for link in nav.links] == [
        ("Between Sessions", None),
        ("Need help now", None),
        ("Sign in", "page"),
    ]
    assert nav.sign_out_forms == []
    assert nav.summaries == []


def test_sign_out_from_the_bar_signs_out(client, signed_in):
    signed_in("patient")
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert client.get(reverse("prep:patient_home")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_page_shown_to_anyone_keeps_the_bar_for_whoever_is_signed_in(client, signed_in):
    signed_in("patient")
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    nav = main_nav(response.content.decode())
    assert any(link["text"] == "Today" for link in nav.links)
    assert not any(link["current"] for link in nav.links)


def _view_names(resolver=None, namespace="") -> set[str]:
    names = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if hasattr(pattern, "url_patterns"):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _view_names(pattern, inner)
        elif pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_page_an_item_covers_exists():
    """A renamed URL would silently stop marking its section."""
    names = _view_names()
    for bar, more in MENUS.values():
        for item in (*bar, *more):
            assert {item.url_name, *item.section} <= names, item
