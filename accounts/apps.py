from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and teams")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .lockout import clear_own_failures
        from .middleware import start_activity_clock

        # The idle clock starts at login, in the same session write as the login itself.
        user_logged_in.connect(start_activity_clock, dispatch_uid="accounts.start_activity_clock")
        user_logged_in.connect(clear_own_failures, dispatch_uid="accounts.clear_own_failures")
