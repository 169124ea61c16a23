"""Liveness of the two services the app cannot work without, for /healthz."""

import logging
import os
from pathlib import Path

from django.db import connection

from .celery import app as celery_app

logger = logging.getLogger(__name__)


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.warning("Health check: database unreachable", exc_info=True)
        return "down"
    return "ok"


def broker_state() -> str:
    try:
        with celery_app.connection_for_write() as conn:
            if conn.transport_cls == "filesystem":
                folder = Path(conn.transport_options["data_folder_in"])
                return "ok" if folder.is_dir() and os.access(folder, os.W_OK) else "down"
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)
            conn.default_channel.client.ping()
    except Exception:
        logger.warning("Health check: broker unreachable", exc_info=True)
        return "down"
    return "ok"
