from django.urls import path

from . import views

app_name = "waitingroom"

urlpatterns = [
    path("join/<str:token>/", views.join, name="join"),
    path("consults/<uuid:public_id>/start/", views.start, name="start"),
]
