"""Webhook endpoints for the organisation's admin (their secret shown to copy, rolled by an action), and
the delivery log, read-only, with *Send again* for failed deliveries."""

import json

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin import OrganisationOwnedAdmin
from accounts.admin_scope import OrganisationScopedAdmin, ReadOnlyAdmin, is_platform_admin
from accounts.admin_site import AdminEvent, admin_site

from . import services
from .models import SUBSCRIBABLE, Delivery, DeliveryStatus, Endpoint, EventType


class EndpointForm(forms.ModelForm):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"size": 60}),
        help_text=_("An https:// address of the receiving system. It gets a signed POST for every event chosen below."),
    )
    events = forms.MultipleChoiceField(
        label=capfirst(_("events")),
        choices=SUBSCRIBABLE,
        widget=forms.CheckboxSelectMultiple,
        initial=[value for value, _label in SUBSCRIBABLE],
        help_text=_("The events this address receives."),
    )

    class Meta:
        model = Endpoint
        fields = ["organisation", "url", "description", "events", "active"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        services.check_endpoint_url(url)
        return url

    def clean_events(self) -> list[str]:
        # Kept in the order of the list, whatever the order of the boxes ticked.
        chosen = set(self.cleaned_data["events"])
        return [value for value, _label in SUBSCRIBABLE if value in chosen]


@admin.register(Endpoint, site=admin_site)
class EndpointAdmin(OrganisationOwnedAdmin):
    form = EndpointForm
    list_display = ["url", "description", "active", "events_display"]
    list_filter = ["active"]
    search_fields = ["url", "description"]
    readonly_fields = ["signing_secret", "deliveries"]
    actions = ["send_test_event", "roll_secret"]

    def get_fields(self, request: HttpRequest, obj=None):
        fields = ["url", "description", "events", "active", "signing_secret", "deliveries"]
        return ["organisation", *fields] if is_platform_admin(request) else fields

    def get_list_display(self, request: HttpRequest):
        return [*self.list_display, "organisation"] if is_platform_admin(request) else self.list_display

    @admin.display(description=_("events"))
    def events_display(self, obj: Endpoint) -> str:
        labels = dict(EventType.choices)
        return ", ".join(str(labels.get(value, value)) for value in obj.events)

    @admin.display(description=_("signing secret"))
    def signing_secret(self, obj: Endpoint | None) -> str:
        if obj is None or obj.pk is None:
            return _("Made when the endpoint is saved, and shown here.")
        help_text = _(
            "Copy it into the receiving system, which checks each request's Videoconsult-Signature with it. "
            "Keep it secret; roll it (action on the list) when it may have leaked."
        )
        if len(obj.signing_secrets(timezone.now())) > 1:
            until = date_format(timezone.localtime(obj.previous_secret_expires_at), "DATETIME_FORMAT")
            help_text = _(
                "Rolled: until %(until)s requests are signed with the previous secret as well, so the receiving "
                "system keeps accepting them until it has this one."
            ) % {"until": until}
        return format_html("<code>{}</code><br><small>{}</small>", obj.secret, help_text)

    @admin.display(description=_("deliveries"))
    def deliveries(self, obj: Endpoint | None) -> str:
        if obj is None or obj.pk is None:
            return "-"
        url = reverse("admin:webhooks_delivery_changelist") + f"?endpoint__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("Delivery log of this endpoint"))

    def response_add(self, request: HttpRequest, obj: Endpoint, post_url_continue=None) -> HttpResponse:
        # To the endpoint's page, where its secret is to be copied, rather than back to the list.
        if "_addanother" in request.POST or "_popup" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        messages.info(request, _("Copy the signing secret below into the receiving system."))
        return HttpResponseRedirect(reverse("admin:webhooks_endpoint_change", args=[obj.pk]))

    @admin.action(description=_("Send a test event"))
    def send_test_event(self, request: HttpRequest, queryset) -> None:
        endpoints = list(queryset.select_related("organisation"))
        for endpoint in endpoints:
            services.send_test_event(endpoint=endpoint)
        self.message_user(
            request,
            ngettext(
                "A test event (ping) is on its way to %(count)d endpoint; the delivery log shows its answer.",
                "A test event (ping) is on its way to %(count)d endpoints; the delivery log shows their answers.",
                len(endpoints),
            )
            % {"count": len(endpoints)},
        )

    @admin.action(description=_("Roll the signing secret"))
    def roll_secret(self, request: HttpRequest, queryset) -> None:
        rolled = 0
        for endpoint in queryset:
            services.roll_secret(endpoint=endpoint)
            self.admin_site.tell(request=request, event=AdminEvent.WEBHOOK_SECRET_ROLLED, obj=endpoint)
            rolled += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d endpoint has a new signing secret; copy it from its page into the receiving system "
                "within 24 hours (until then the old one signs as well).",
                "%(count)d endpoints have a new signing secret; copy each from its page into the receiving system "
                "within 24 hours (until then the old ones sign as well).",
                rolled,
            )
            % {"count": rolled},
        )


@admin.register(Delivery, site=admin_site)
class DeliveryAdmin(ReadOnlyAdmin, OrganisationScopedAdmin, admin.ModelAdmin):
    """The delivery log: what went where, how it was answered; written only by the planning and sending."""

    org_admin_read_only = True
    # Narrow enough to sit beside the filters at 1280 px; the next attempt is on the delivery's page.
    list_display = ["created_at", "event_type", "endpoint", "status", "attempts", "response_status"]
    # Only the organisation's own endpoints in the filter.
    list_filter = ["status", "event_type", ("endpoint", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["public_id", "event_id", "endpoint__url"]
    date_hierarchy = "created_at"
    list_select_related = ["endpoint"]
    actions = ["send_again"]
    fields = [
        "public_id",
        "event_id",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "next_attempt_at",
        "response_status",
        "response_excerpt",
        "delivered_at",
        "created_at",
        "payload_display",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.fields

    @admin.display(description=_("payload"))
    def payload_display(self, obj: Delivery) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False))

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).defer("endpoint__secret")

    @admin.action(description=_("Send again"))
    def send_again(self, request: HttpRequest, queryset) -> None:
        sent = 0
        for delivery in queryset.filter(status=DeliveryStatus.FAILED):
            if services.resend_delivery(delivery=delivery):
                self.admin_site.tell(request=request, event=AdminEvent.WEBHOOK_RESENT, obj=delivery)
                sent += 1
        self.message_user(
            request,
            ngettext("%(count)d failed delivery is sent again.", "%(count)d failed deliveries are sent again.", sent)
            % {"count": sent},
            messages.SUCCESS if sent else messages.WARNING,
        )
