from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VideoprovidersConfig(AppConfig):
    name = "videoproviders"
    verbose_name = _("Video providers")
