from django.urls import path

from . import views

app_name = "scheduling"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("agenda/", views.agenda, name="agenda"),
    path("agenda/day-list/", views.day_list, name="day-list"),
    path("consults/new/", views.appointment_create, name="appointment-create"),
    path("consults/new/dates/", views.series_preview, name="series-preview"),
    path("consults/<uuid:public_id>/", views.appointment_detail, name="appointment-detail"),
    path("consults/<uuid:public_id>/edit/", views.appointment_edit, name="appointment-edit"),
    path("consults/<uuid:public_id>/cancel/", views.appointment_cancel, name="appointment-cancel"),
]
