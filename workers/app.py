"""The module Dramatiq workers load (``dramatiq workers.app``): broker first, then actors."""

from __future__ import annotations

import os

from kit.tracing import configure_tracing
from trainpack.logging import configure_logging
from trainpack.settings import load_settings
from workers.broker import redis_broker
from workers.wiring import install_actors

settings = load_settings()
configure_logging(settings.log_level, json=settings.log_json)
configure_tracing("trainpack-worker")
if not settings.redis_url:
    raise SystemExit("REDIS_URL is not set: the worker needs Redis.")
broker = redis_broker(settings)
install_actors(broker, settings, metrics="PROMETHEUS_MULTIPROC_DIR" in os.environ)
