from django.urls import path

from config.backends import provider_urlpatterns

from . import email_service, feed_views, views
from .sms import sms_backend_modules

app_name = "notifications"

urlpatterns = [
    path("messages/failed/", views.failed_list, name="failed-list"),
    path("messages/<uuid:public_id>/resend/", views.resend, name="resend"),
    path("calendar/subscription/", feed_views.subscription, name="calendar-subscription"),
    path("calendar/<str:token>.ics", feed_views.calendar_feed, name="calendar-feed"),
    # The SMS backends' webhooks come from their own modules (sms/twilio.py: hooks/twilio/status/ and inbound/).
    *provider_urlpatterns(sms_backend_modules()),
    # An email service's delivery reports (email_service.py: hooks/email/<service>/tracking/).
    *email_service.urlpatterns,
]
