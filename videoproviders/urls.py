from config.backends import provider_urlpatterns

from .registry import provider_modules

app_name = "videoproviders"

# Each configured provider's webhooks come from its own module (whereby.py: hooks/whereby/<account id>/).
urlpatterns = provider_urlpatterns(provider_modules())
