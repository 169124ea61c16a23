"""The PDF of a shared version, drawn on the server from the print page: the
patient's name, the period and the page number on every page, two A4 pages for a
typical summary, the charts drawn (their axes' words are in the text)."""

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from prep import links, pdf
from tests.prep.summary_link_fixtures import share_a_typical_summary

A4 = (595, 842)  # points, rounded


@pytest.fixture
def shared(therapist, patient):
    return share_a_typical_summary(therapist, patient)


def pages_of(content: bytes):
    return PdfReader(io.BytesIO(content)).pages


def assert_every_page_says_who_when_and_which(content: bytes, name: str) -> None:
    pages = pages_of(content)
    for number, printed in enumerate(pages, start=1):
        text = printed.extract_text()
        assert re.search(rf"{name} · \d+ \w+ – \d+ \w+ \d{{4}}", text), (number, text[:200])
        assert f"Page {number} of {len(pages)}" in text, (number, text[-200:])
        assert (round(printed.mediabox.width), round(printed.mediabox.height)) == A4


def test_the_patient_downloads_their_version_on_two_a4_pages(client, patient, shared):
    client.force_login(patient)
    response = client.get(reverse("prep:summary_pdf", args=[shared.appointment_id, shared.version]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{pdf.filename_for(shared)}"'
    assert "Sam" not in response["Content-Disposition"]
    content = response.content
    assert len(pages_of(content)) == 2
    assert_every_page_says_who_when_and_which(content, "Sam Patel")
    text = "".join(page.extract_text() for page in pages_of(content))
    assert "Page 1 of 2" in text
    assert "Sleep through most nights" in text
    assert "Felt left out at the party" not in text  # not shared, not in the PDF
    # The chart is drawn: its title and its axis labels are in the page's text.
    assert "Mood, anxiety and energy" in text or re.search(r"\b0\s+5\s+10\b", text)
    assert "Download PDF" not in text and "Print" not in text.split("Page")[0][:40]


def test_the_reader_downloads_the_same_pages(client, shared):
    link = links.create(shared, 7)
    response = client.get(reverse("prep:shared_summary_pdf", args=[link.token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Robots-Tag"].startswith("noindex")
    assert_every_page_says_who_when_and_which(response.content, "Sam Patel")
    text = " ".join(pages_of(response.content)[0].extract_text().split())
    assert "Shared by Sam on" in text
    assert "when this page is opened" not in text  # true of the page, not of a file


def test_the_pdf_fetches_nothing_but_the_sites_own_files():
    from prep.pdf import _fetch

    class Response:
        def __init__(self, url, body, headers):
            self.body = body

    found = _fetch("https://pdf.invalid/static/css/app.css", Response)
    assert b"@page summary" in found.body
    for url in (
        "https://example.org/static/css/app.css",
        "file:///etc/passwd",
        "https://pdf.invalid/static/../config/settings.py",
        "https://pdf.invalid/journal/support/",
    ):
        try:
            _fetch(url, Response)
        except ValueError:
            continue
        raise AssertionError(f"fetched {url}")
