import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
# Django's advice for ASGI: no persistent database connections (config/settings/base.py keeps them for the
# pages under WSGI). Set before the settings are read.
os.environ["CONN_MAX_AGE"] = "0"
application = get_asgi_application()

# This process holds the event streams: thousands of open pages, each a few hundred objects that live as
# long as the page. A full garbage collection walks all of them: over a second at 5,000 streams, during which
# no event goes out, and on a busy machine long enough for uvicorn's health check (5 s) to kill the worker
# and drop every stream it holds. With Python's default thresholds the objects of every request in flight
# reached the oldest generation within milliseconds, which brought a full collection every ten seconds or so
# while clients arrived. A young generation of 50,000 lets those die young (bench/waitingroom.py's run up
# to 10,000 clients saw none). What start-up made (Django, the URLs, the models) is frozen: no collection
# walks it again.
gc.set_threshold(50_000, 5, 10)
gc.freeze()
