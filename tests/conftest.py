import os

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.factories import CareLinkFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_service(available: bool, reason: str) -> None:
    """Skip a test whose service is missing locally; under CI a missing service is a
    failure, so CI can never pass by skipping."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{reason} (required when CI=true)")
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def _celery_runs_tasks_in_process():
    """Tasks run where they are enqueued, so a test sees their effects. The
    integration tests that need a real worker and broker configure their own."""
    from config.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _fast_passwords_and_clean_cache(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Rate limits live in the cache, which is Redis under CI: start every test clean.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def therapist(db):
    return UserFactory(therapist=True, first_name="Dana", last_name="Reyes")


@pytest.fixture
def other_therapist(db):
    return UserFactory(therapist=True, first_name="Morgan", last_name="Lee")


@pytest.fixture
def patient(therapist):
    patient = UserFactory(first_name="Sam", last_name="Patel")
    CareLinkFactory(therapist=therapist, patient=patient)
    return patient


@pytest.fixture
def other_patient(other_therapist):
    patient = UserFactory(first_name="Alex", last_name="Morgan")
    CareLinkFactory(therapist=other_therapist, patient=patient)
    return patient


@pytest.fixture
def manager(db):
    return UserFactory(manager=True, first_name="Jo", last_name="Carter")


def assert_access(client, person, method: str, url: str, expected: int, data=None):
    """One cell of an access matrix: signed out, a URL sends you to sign in; signed
    in, it answers exactly `expected` (404 for anyone it does not belong to)."""
    if person:
        client.force_login(person)
    response = getattr(client, method)(url, data)
    if person is None:
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    else:
        assert response.status_code == expected, (url, person)
    return response


# Everyone an access-matrix test tries each URL as.
PEOPLE = ["anonymous", "patient", "other_patient", "therapist", "other_therapist", "manager"]


@pytest.fixture
def people(patient, other_patient, therapist, other_therapist, manager):
    return {
        "anonymous": None,
        "patient": patient,
        "other_patient": other_patient,
        "therapist": therapist,
        "other_therapist": other_therapist,
        "manager": manager,
    }


@pytest.fixture
def deliver_outbox(db):
    """Send what the outbox holds now, as the per-minute dispatcher would, and return
    the number sent. Every email leaves this way, so tests that read `mail.outbox`
    call this first (email never leaves inside a request or a save)."""
    from notifications import dispatch

    def deliver() -> int:
        return dispatch.dispatch()["sent"]

    return deliver
