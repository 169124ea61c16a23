"""Using the main navigation as a person does at any width, with or without
JavaScript: through the phone menu, or the bar and its "More"."""

from playwright.sync_api import Locator, Page


def main_nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main")


def phone_menu(page: Page) -> Locator:
    return main_nav(page).locator("#main-nav")


def open_menu(page: Page) -> Locator:
    """Open the menu a narrow screen shows (a <details>: no script needed) and
    return it; on a wide screen the bar itself."""
    menu = phone_menu(page)
    if menu.is_visible():
        if menu.get_attribute("open") is None:
            menu.locator("summary").click()
        return menu
    return main_nav(page).locator(".site-nav-bar")


def open_menu_item(page: Page, name: str) -> None:
    where = open_menu(page)
    link = where.get_by_role("link", name=name, exact=True)
    if not link.is_visible():  # under "More", on a wide screen
        where.locator(".nav-dropdown > summary").click()
    link.click()


def sign_out(page: Page) -> None:
    open_menu(page)
    main_nav(page).get_by_role("button", name="Sign out").filter(visible=True).click()
