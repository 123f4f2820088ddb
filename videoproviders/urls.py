from django.urls import path

from . import views

app_name = "videoproviders"

urlpatterns = [
    path("hooks/whereby/<uuid:account_id>/", views.whereby_webhook, name="whereby-webhook"),
]
