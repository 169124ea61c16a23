"""A shared summary as a PDF, drawn on the server from the same HTML as the page
(prep/templates/prep/summary_sheet.html) with its print styles: the running head
with the patient's name, the period and the session on every page, and "Page n of N"
from the `@page` rule in app.css.

WeasyPrint renders it: it implements CSS paged media (page margin boxes, counter(pages),
repeated table heads) and draws the inline SVG charts itself, installs from PyPI, and
needs only Pango, which these machines have (the Dockerfile installs it for the
image). xhtml2pdf ignores most of this CSS; headless Chromium would put a browser in
every web worker.

It never goes to the network: the fetcher hands it the site's own static files and
refuses every other URL, so nothing in a summary can make the server fetch anything.
"""

import mimetypes
import re
from pathlib import Path
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

# A base no real request has: relative and /static/ URLs resolve under it.
_BASE = "https://pdf.invalid/"


def _static_files_only(*, stylesheets: bool):
    """A fetcher for WeasyPrint that serves the site's static files and nothing else;
    without `stylesheets`, no .css either (the page's own are given parsed). WeasyPrint
    is imported only here: it loads Pango and its own stylesheets, which only a PDF
    needs, not every web process at start."""
    from weasyprint import URLFetcher
    from weasyprint.urls import URLFetcherResponse

    class StaticFilesOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if not stylesheets and url.split("?")[0].endswith(".css"):
                raise ValueError("Stylesheets come parsed")
            return _fetch(url, URLFetcherResponse)

    return StaticFilesOnly()


_STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)">')
# Parsing Bootstrap takes most of a PDF's time: each stylesheet is parsed once per
# process (static files change only with a deploy, which starts new processes).
_parsed: dict[str, object] = {}


def _stylesheets(html: str) -> list:
    """The page's stylesheets, in its order, parsed for print."""
    from weasyprint import CSS

    sheets = []
    for href in _STYLESHEET.findall(html):
        if href not in _parsed:
            _parsed[href] = CSS(
                url=urljoin(_BASE, href),
                url_fetcher=_static_files_only(stylesheets=True),
                media_type="print",
            )
        sheets.append(_parsed[href])
    return sheets


def _fetch(url: str, response_class):
    prefix = _BASE + settings.STATIC_URL.lstrip("/")
    if not url.startswith(prefix):
        raise ValueError(f"Not fetched for a PDF: {url}")
    name = url.removeprefix(prefix).split("?")[0].split("#")[0]
    path = _static_file(name)
    if path is None:
        raise ValueError(f"No static file {name}")
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return response_class(url, body=path.read_bytes(), headers={"Content-Type": content_type})


def _static_file(name: str) -> Path | None:
    if ".." in Path(name).parts:
        return None
    found = finders.find(name)
    if found:
        return Path(found)
    collected = Path(settings.STATIC_ROOT) / name
    return collected if collected.is_file() else None


def render_pdf(template: str, context: dict, request=None) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, {**context, "as_pdf": True}, request=request)
    document = HTML(string=html, base_url=_BASE, url_fetcher=_static_files_only(stylesheets=False))
    return document.write_pdf(stylesheets=_stylesheets(html))


def filename_for(summary) -> str:
    """ "summary-2026-11-30-v1.pdf": the session's day and the version, no name (the
    file may sit in a shared downloads folder)."""
    day = summary.appointment.starts_at.astimezone(summary.appointment.patient.zone)
    return f"summary-{day:%Y-%m-%d}-v{summary.version}.pdf"
