"""The bare view `make bench` compares pages with exists only when the bench turns
it on (BENCH_BARE_VIEW), and then answers through the same middleware."""

import importlib

import pytest
from django.urls import clear_url_caches

import config.urls


@pytest.fixture
def bench_urls(settings):
    settings.BENCH_BARE_VIEW = True
    importlib.reload(config.urls)
    clear_url_caches()
    yield
    settings.BENCH_BARE_VIEW = False
    importlib.reload(config.urls)
    clear_url_caches()


def test_it_does_not_exist_unless_the_bench_turns_it_on(client, db):
    assert client.get("/bench/ok").status_code == 404


def test_the_bench_gets_a_bare_ok_with_every_header_the_middleware_adds(client, db, bench_urls):
    response = client.get("/bench/ok")

    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-store" in response["Cache-Control"]
    assert "Content-Security-Policy" in response
