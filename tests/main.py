"""The entry file NiceGUI's user simulation runs once per test (``main_file`` in pyproject.toml).

It builds the app from ``CHATAPP_*`` variables that the ``app_env`` fixture sets to a fresh database per test.
"""

from nicegui import ui

from chatapp.app import create_app
from chatapp.settings import Settings

settings = Settings()
create_app(settings)
ui.run(storage_secret=settings.resolved_secret(), reload=False, show=False)
