"""The installable app around the offline daily log: the manifest and its icons, the
service worker's address and headers, the content security policy that lets it run,
an offline page with nobody's data in it, and sign-out clearing what the browser
kept."""

import json
import re
import struct

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.factories import DailyEntryFactory, SymptomFactory

MANIFEST = reverse("web_manifest")
WORKER = reverse("service_worker")
OFFLINE = reverse("journal:offline")


def test_the_manifest_is_valid_json_with_the_apps_names_colours_and_icons_that_exist(client):
    response = client.get(MANIFEST)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == manifest["short_name"] == "Between Sessions"
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
        "/",
        "/",
        "standalone",
    )
    assert manifest["theme_color"] == "#2f6f73"
    assert manifest["background_color"] == "#fbfaf7"
    icons = {(icon["sizes"], icon.get("purpose", "any")): icon for icon in manifest["icons"]}
    assert set(icons) == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for (sizes, _purpose), icon in icons.items():
        path = finders.find(icon["src"].removeprefix("/static/"))
        assert path, icon
        with open(path, "rb") as png:
            head = png.read(24)
        # A PNG's signature, then its IHDR chunk: width and height, 4 bytes each.
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", head[16:24])
        assert f"{width}x{height}" == sizes


def test_every_page_links_the_manifest_and_the_theme_colour(client):
    page = client.get(reverse("account_login")).content.decode()

    assert f'<link rel="manifest" href="{MANIFEST}">' in page
    assert '<meta name="theme-color" content="#2f6f73">' in page


def test_the_service_worker_is_served_from_the_root_for_the_whole_site(client):
    response = client.get(WORKER)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/"
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert "no-cache" in cache_control


def test_the_service_worker_keeps_only_static_files_and_the_two_pages_alike_for_everyone(
    client,
):
    script = client.get(WORKER).content.decode()

    shell = json.loads(re.search(r"const SHELL = (\{.*\});", script).group(1))
    assert shell["pages"] == [OFFLINE, reverse("journal:support")]
    assert shell["static"] and all(url.startswith("/static/") for url in shell["static"])
    for url in shell["static"]:
        assert finders.find(url.removeprefix("/static/")), url
    # The pages are fetched without cookies: as anyone sees them, whoever is signed in.
    assert 'credentials: "omit"' in script
    # A page from the network is handed over, never put in the cache.
    assert script.count("cache.put(") == 1


def test_the_worker_changes_version_when_a_kept_file_changes(client, settings, tmp_path):
    before = json.loads(
        re.search(r"const SHELL = (\{.*\});", client.get(WORKER).content.decode()).group(1)
    )
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "app.css").write_text("body { color: #000; }")
    settings.STATICFILES_DIRS = [tmp_path, *settings.STATICFILES_DIRS]
    finders.get_finder.cache_clear()
    try:
        after = client.get(WORKER).content.decode()
    finally:
        finders.get_finder.cache_clear()
    assert (
        json.loads(re.search(r"const SHELL = (\{.*\});", after).group(1))["version"]
        != before["version"]
    )


@pytest.mark.parametrize("url", [reverse("account_login"), WORKER, OFFLINE])
def test_the_content_security_policy_allows_this_sites_worker_and_manifest_only(client, url):
    policy = client.get(url)["Content-Security-Policy"]

    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["worker-src"] == "'self'"
    assert directives["manifest-src"] == "'self'"
    assert directives["script-src"] == "'self'"


def main_of(page: str) -> str:
    return page[page.index('<main id="main"') : page.index("</main>")]


def test_the_offline_page_shows_nothing_of_the_signed_in_patients(client, patient):
    SymptomFactory(patient=patient, name="Nightmares")
    DailyEntryFactory(patient=patient, thoughts="A private thought")
    client.force_login(patient)

    page = client.get(OFFLINE).content.decode()

    for private in ("Nightmares", "A private thought", patient.first_name, patient.email):
        assert private not in page
    # The form is alike for everyone: the same as a visitor who is not signed in gets
    # (that is the copy the service worker keeps); only the menu is theirs.
    client.logout()
    anonymous = client.get(OFFLINE).content.decode()
    assert main_of(page) == main_of(anonymous)
    assert "Sign out" in page
    assert "Sign in" not in anonymous


def test_the_offline_page_says_symptoms_wait_for_the_connection_and_works_without_cookies(
    client,
):
    page = client.get(OFFLINE).content.decode()

    assert "Your symptoms aren’t listed here, so that their names stay off this phone" in page
    assert "Need help now" in page
    assert 'name="mood"' in page and 'name="self_harm_thoughts"' in page
    assert "symptom_" not in page
    assert "Saving offline needs JavaScript" in page


def test_only_patient_pages_ask_for_the_offline_log(client, patient, therapist):
    assert "data-offline-log" not in client.get(reverse("account_login")).content.decode()
    client.force_login(therapist)
    assert "data-offline-log" not in client.get(reverse("accounts:profile")).content.decode()
    client.force_login(patient)
    assert "data-offline-log" in client.get(reverse("prep:patient_home")).content.decode()


def test_signing_out_tells_the_browser_to_clear_its_caches_and_storage(client, patient):
    client.force_login(patient)

    response = client.post(reverse("account_logout"))

    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert "_auth_user_id" not in client.session


def test_the_sign_out_page_has_a_place_to_warn_of_unsent_entries(client, patient):
    client.force_login(patient)

    page = client.get(reverse("account_logout")).content.decode()

    assert '<p class="alert alert-warning" data-unsent-warning hidden></p>' in page
