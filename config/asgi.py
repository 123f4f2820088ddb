import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
# Django's advice for ASGI: no persistent database connections (config/settings/base.py keeps them for the
# pages under WSGI). Set before the settings are read.
os.environ["CONN_MAX_AGE"] = "0"
application = get_asgi_application()
