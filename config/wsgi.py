import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from config.proxy import ForwardedFor

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
# gunicorn leaves REMOTE_ADDR the proxy's; uvicorn --proxy-headers does this itself under ASGI.
application = ForwardedFor(get_wsgi_application(), trusted=settings.FORWARDED_ALLOW_IPS)
