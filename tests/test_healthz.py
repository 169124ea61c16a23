import os
import socket
from unittest import mock

import pytest
from django.db.utils import OperationalError
from django.urls import reverse

from tests.conftest import require_service


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def broker(settings):
    """Point the Celery app at another broker for one test."""
    from config.celery import app

    def use(url: str, options: dict | None = None):
        app.conf.broker_url = url
        app.conf.broker_transport_options = options or {"socket_connect_timeout": 1}

    saved = app.conf.broker_url, app.conf.broker_transport_options
    yield use
    app.conf.broker_url, app.conf.broker_transport_options = saved


def test_it_reports_ok_when_database_and_broker_answer(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_it_reports_503_when_the_broker_is_down(client, db, broker):
    broker(f"redis://127.0.0.1:{closed_port()}/0")
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "down"}


def test_it_reports_503_when_the_database_is_down(client, db):
    with mock.patch(
        "django.db.backends.utils.CursorWrapper.execute",
        side_effect=OperationalError("connection refused"),
    ):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["database"] == "down"


def test_it_reaches_the_real_redis_broker(client, db, broker):
    url = os.environ.get("REDIS_URL", "")
    require_service(bool(url), "REDIS_URL is not set")
    broker(url)
    response = client.get(reverse("healthz"))
    assert response.json()["broker"] == "ok"
    assert response.status_code == 200
