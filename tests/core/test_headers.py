"""Every page carries a content security policy with no inline script or style, and a
permissions policy; no template or chart relies on inline script or style."""

import re
from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse

from core import charts

ROOT = Path(__file__).resolve().parents[2]
INLINE = re.compile(r"""\sstyle=|\son[a-z]+=|<style|<script(?![^>]*\ssrc=)""", re.IGNORECASE)


def page_templates():
    for path in ROOT.rglob("templates/**/*.html"):
        parts = path.relative_to(ROOT).parts
        # Emails are read in mail clients, where inline styles are the only styles.
        if ".venv" in parts or "email" in parts:
            continue
        yield path


@pytest.mark.parametrize("signed_in", [False, True])
def test_pages_send_a_strict_content_security_policy(client, patient, signed_in):
    if signed_in:
        client.force_login(patient)
    response = client.get(reverse("prep:patient_home") if signed_in else reverse("account_login"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "camera=()" in response["Permissions-Policy"]


def test_no_template_uses_inline_script_or_style():
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0).strip()}"
        for path in page_templates()
        for match in INLINE.finditer(path.read_text())
    ]
    assert not offenders, offenders


def test_charts_and_their_legends_use_no_inline_style():
    day = date(2026, 6, 1)
    line = charts.Series("Mood", charts.PALETTE[0], [(day, 5)])
    html = charts.series_legend([line]) + charts.line_chart("c", "t", [line], day, day, 10)
    html += charts.heat_map("h", "t", [("Worry", {day: 2})], [day])
    html += charts.severity_legend()
    assert not INLINE.search(html)
