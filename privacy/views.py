"""The admin's page for erasing one person's data: find by email or mobile, see what it touches, confirm."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from accounts.admin_scope import is_org_admin
from accounts.admin_site import admin_site

from . import services
from .forms import ErasePersonForm


def erase_person(request: HttpRequest) -> HttpResponse:
    if not is_org_admin(request):
        # Platform staff have no organisation; erasure is done by that organisation's own admin.
        raise PermissionDenied(_("Only an organisation's admin can erase the data of its clients."))
    organisation = request.user.organisation
    form = ErasePersonForm(request.POST or None)
    found = None
    if request.method == "POST" and form.is_valid():
        identifier = form.cleaned_data["identifier"]
        try:
            if "erase" in request.POST:
                done = services.erase_person(organisation=organisation, identifier=identifier, erased_by=request.user)
                messages.success(
                    request,
                    _("Erased: %(participants)d participations in %(consults)d consults. The audit log records it.")
                    % {"participants": done.participants, "consults": done.consults},
                )
                return redirect("admin:privacy-erase")
            found = services.find_person(organisation=organisation, identifier=identifier)
        except ValidationError as error:
            form.add_error("identifier", error)
    context = {
        **admin_site.each_context(request),
        "title": _("Erase a person's data"),
        "form": form,
        "found": found,
        "organisation": organisation,
    }
    return TemplateResponse(request, "privacy/erase_person.html", context)
