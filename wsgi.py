"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

from oms.app import create_app

app = create_app()
