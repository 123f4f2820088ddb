from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("messages/failed/", views.failed_list, name="failed-list"),
    path("messages/<uuid:public_id>/resend/", views.resend, name="resend"),
    path("hooks/twilio/status/", views.twilio_status, name="twilio-status"),
    path("hooks/twilio/inbound/", views.twilio_inbound, name="twilio-inbound"),
]
