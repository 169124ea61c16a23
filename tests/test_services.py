"""Under CI the suite must run against the real services, never silently fall back."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from tests.conftest import IN_CI


@pytest.mark.skipif(not IN_CI, reason="CI runs the suite on PostgreSQL; locally SQLite is fine")
def test_ci_runs_on_postgresql(db):
    assert connection.vendor == "postgresql"


@pytest.mark.skipif(not IN_CI, reason="CI provides Redis")
def test_ci_uses_redis_for_the_broker_and_the_shared_cache(db):
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    cache.set("ci-probe", "yes", 5)
    assert cache.get("ci-probe") == "yes"
