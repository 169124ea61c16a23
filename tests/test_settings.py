"""Settings come from the environment; production refuses to start without its
secrets. Each case loads the settings module in a fresh interpreter."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "care.example.org",
    "FIELD_ENCRYPTION_KEYS": "ZGV2ZWxvcG1lbnQtb25seS1rZXktbmV2ZXItcHJvZCE=",
    "REDIS_URL": "redis://redis.internal:6379/0",
}


# The suite's own environment (services, the browser tests' async flag) stays out.
SUITE_ONLY = {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def outside_env(**extra: str) -> dict:
    return {**{k: v for k, v in os.environ.items() if k not in SUITE_ONLY}, **extra}


def load_settings(env: dict, *names: str) -> subprocess.CompletedProcess:
    code = (
        "import json, config.settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {list(names)!r}}}, default=str))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env=outside_env(**{"DEBUG": "true", **env}),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def values(env: dict, *names: str) -> dict:
    result = load_settings(env, *names)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "FIELD_ENCRYPTION_KEYS"])
def test_production_refuses_to_start_without_its_secrets(missing):
    env = {**PRODUCTION, missing: ""}
    result = load_settings(env, "DEBUG")
    assert result.returncode != 0
    assert f"{missing} must be set when DEBUG is off" in result.stderr


def test_a_secret_can_come_from_a_file(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-docker-secret\n")
    env = {**PRODUCTION, "SECRET_KEY": "", "SECRET_KEY_FILE": str(secret_file)}
    assert values(env, "SECRET_KEY") == {"SECRET_KEY": "from-a-docker-secret"}


def test_development_defaults_need_no_services():
    found = values({}, "DATABASES", "CELERY_BROKER_URL", "CACHES", "EMAIL_BACKEND")
    assert found["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert found["CELERY_BROKER_URL"] == "filesystem://"
    assert found["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")
    assert found["EMAIL_BACKEND"].endswith("filebased.EmailBackend")


def test_services_come_from_urls():
    found = values(
        {
            "DATABASE_URL": "postgres://app:pw@db.internal:5432/care",
            "REDIS_URL": "redis://redis.internal:6379/0",
            "EMAIL_URL": "smtp+tls://mailer:pw@smtp.internal:587",
        },
        "DATABASES",
        "CELERY_BROKER_URL",
        "CACHES",
        "EMAIL_BACKEND",
        "EMAIL_HOST",
        "EMAIL_USE_TLS",
    )
    db = found["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["HOST"], db["NAME"]) == ("db.internal", "care")
    assert found["CELERY_BROKER_URL"] == "redis://redis.internal:6379/0"
    # Rate limits and MFA replay protection must be shared by every process.
    assert found["CACHES"]["default"]["BACKEND"].endswith("RedisCache")
    assert found["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
    assert (found["EMAIL_HOST"], found["EMAIL_USE_TLS"]) == ("smtp.internal", True)


def test_staff_mfa_is_required_by_default_in_production():
    assert values(PRODUCTION, "REQUIRE_STAFF_MFA") == {"REQUIRE_STAFF_MFA": True}
    assert values({}, "REQUIRE_STAFF_MFA") == {"REQUIRE_STAFF_MFA": False}


def test_a_nonsense_boolean_is_refused():
    result = load_settings({"DEBUG": "perhaps"}, "DEBUG")
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


@pytest.mark.parametrize(
    ("name", "typo"), [("SECURE_SSL_REDIRECT", "ture"), ("REQUIRE_STAFF_MFA", "yes-please")]
)
def test_a_typo_in_a_protection_refuses_to_start_rather_than_turn_it_off(name, typo):
    # Every secret is present, so only the typo can be what stops it.
    result = load_settings({**PRODUCTION, name: typo}, name)
    assert result.returncode != 0
    assert f"{name} must be true or false" in result.stderr


@pytest.mark.parametrize(("word", "meaning"), [("Yes", True), ("0", False), ("off", False)])
def test_the_usual_spellings_of_yes_and_no_are_understood(word, meaning):
    assert values({**PRODUCTION, "REQUIRE_STAFF_MFA": word}, "REQUIRE_STAFF_MFA") == {
        "REQUIRE_STAFF_MFA": meaning
    }


def test_production_refuses_to_start_without_a_shared_cache():
    without_redis = {k: v for k, v in PRODUCTION.items() if k != "REDIS_URL"}
    result = load_settings(without_redis, "CACHES")
    assert result.returncode != 0
    assert "REDIS_URL must be set" in result.stderr
    allowed = values({**without_redis, "ALLOW_PROCESS_LOCAL_CACHE": "true"}, "CACHES")
    assert "LocMemCache" in json.dumps(allowed)


def test_patient_sign_up_is_open_by_default_and_can_be_closed():
    assert values(PRODUCTION, "OPEN_PATIENT_SIGNUP") == {"OPEN_PATIENT_SIGNUP": True}
    closed = {**PRODUCTION, "OPEN_PATIENT_SIGNUP": "false"}
    assert values(closed, "OPEN_PATIENT_SIGNUP") == {"OPEN_PATIENT_SIGNUP": False}


def test_deploy_checks_pass_under_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=outside_env(**PRODUCTION),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


class TestSiteUrl:
    """Links in emails point at the running app: in development, unless SITE_URL is
    set, they follow the port bin/run serves on (PORT=8102 make run)."""

    def test_in_development_it_follows_the_port(self):
        found = values({"PORT": "8102", "SITE_URL": ""}, "SITE_URL")
        assert found == {"SITE_URL": "http://127.0.0.1:8102"}

    def test_in_development_without_a_port_it_is_the_usual_one(self):
        env = {k: v for k, v in outside_env().items() if k not in ("PORT", "SITE_URL")}
        code = "import config.settings as s; print(s.SITE_URL)"
        result = subprocess.run(
            [sys.executable, "-c", code], env={**env, "DEBUG": "true"}, cwd=ROOT,
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert result.stdout.strip() == "http://127.0.0.1:8000", result.stderr

    def test_a_site_url_that_is_set_wins(self):
        found = values({"PORT": "8102", "SITE_URL": "https://care.example.org/"}, "SITE_URL")
        assert found == {"SITE_URL": "https://care.example.org"}

    def test_production_never_guesses_from_the_port(self):
        found = values({**PRODUCTION, "PORT": "8102", "SITE_URL": ""}, "SITE_URL")
        assert found == {"SITE_URL": "http://127.0.0.1:8000"}

    def test_bin_run_hands_the_port_to_the_worker(self):
        """The worker builds the emails; it reads PORT only if bin/run exports it."""
        script = (ROOT / "bin" / "run").read_text()
        assert "export PORT=${PORT:-8000}" in script


class TestCrisisResources:
    def test_the_defaults_have_numbers_to_call_and_to_text(self):
        [emergency, samaritans, lifeline] = values({}, "CRISIS_RESOURCES")["CRISIS_RESOURCES"]
        assert emergency["phone"] == ["999", "112", "911"]
        assert samaritans["phone"] == ["116 123"]
        assert (lifeline["phone"], lifeline["sms"]) == (["988"], ["988"])
        assert all(resource["contact"] for resource in (emergency, samaritans, lifeline))

    def test_a_single_number_becomes_a_list_and_both_are_optional(self):
        resources = [{"name": "Line", "contact": "Call 0800 111", "phone": "0800 111"},
                     {"name": "Walk-in", "contact": "12 High Street"}]  # fmt: skip
        found = values({"CRISIS_RESOURCES": json.dumps(resources)}, "CRISIS_RESOURCES")
        assert found["CRISIS_RESOURCES"] == [
            {**resources[0], "phone": ["0800 111"], "sms": []},
            {**resources[1], "phone": [], "sms": []},
        ]

    @pytest.mark.parametrize(
        ("resources", "problem"),
        [
            ([], "must be a non-empty JSON list"),
            ([{"contact": "Call 112"}], 'resource 1 needs a "name"'),
            ([{"name": "Line", "contact": "Call", "phone": "call us"}], '"phone" must be'),
            ([{"name": "Line", "contact": "Text", "sms": [988]}], '"sms" must be'),
        ],
    )
    def test_a_resource_that_cannot_be_shown_or_dialled_stops_the_app(self, resources, problem):
        result = load_settings({"CRISIS_RESOURCES": json.dumps(resources)}, "CRISIS_RESOURCES")
        assert result.returncode != 0
        assert problem in result.stderr
