from django.utils.translation import gettext_lazy as _

from accounts.admin_site import AdminPage, admin_site

from .views import erase_person

admin_site.add_page(
    AdminPage(
        route="privacy/erase/",
        view=erase_person,
        name="privacy-erase",
        title=_("Erase a person's data"),
        section=_("Privacy"),
    )
)
