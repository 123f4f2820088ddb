from django.urls import path

from . import views

app_name = "waitingroom"

urlpatterns = [
    path("<str:token>/", views.join, name="join"),
]
