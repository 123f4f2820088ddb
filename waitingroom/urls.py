from django.urls import path

from . import streams, views

app_name = "waitingroom"

urlpatterns = [
    path("join/<str:token>/", views.join, name="join"),
    path("join/<str:token>/presence/", views.presence, name="presence"),
    path("join/<str:token>/leave/", views.leave, name="leave"),
    path("join/<str:token>/events/", streams.client_events, name="client-events"),
    path("waiting-room/events/", streams.agent_events, name="agent-events"),
    path("waiting-room/", views.waiting_room_page, name="waiting-room"),
    path("waiting-room/state/", views.waiting_room_state, name="waiting-room-state"),
    path("consults/<uuid:public_id>/start/", views.start, name="start"),
    path("consults/<uuid:public_id>/end/", views.end, name="end"),
    path("consults/<uuid:public_id>/message/", views.send_message, name="message"),
]
