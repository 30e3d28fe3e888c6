"""Entry point for gunicorn: `gunicorn wsgi:app` (logs as JSON lines, see gunicorn.conf.py)."""

import logging

from api import create_app
from api.json_logs import configure_logging

if not logging.getLogger().handlers:  # gunicorn.conf.py already set them up under gunicorn
    configure_logging()
app = create_app()
