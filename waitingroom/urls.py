from django.urls import path

from . import call_views, self_service_views, streams, views

app_name = "waitingroom"

urlpatterns = [
    path("join/<str:token>/", views.join, name="join"),
    # The link in an SMS, short enough for one segment; no trailing slash, every character counts.
    path("j/<str:token>", views.short_join, name="short-join"),
    # The client's own page: cancel, or ask for another time.
    path("join/<str:token>/change/", self_service_views.self_service, name="self-service"),
    path("join/<str:token>/change/cancel/", self_service_views.self_service_cancel, name="self-service-cancel"),
    path("join/<str:token>/presence/", views.presence, name="presence"),
    path("join/<str:token>/leave/", views.leave, name="leave"),
    path("join/<str:token>/events/", streams.client_events, name="client-events"),
    path("waiting-room/events/", streams.agent_events, name="agent-events"),
    path("waiting-room/", views.waiting_room_page, name="waiting-room"),
    path("waiting-room/state/", views.waiting_room_state, name="waiting-room-state"),
    path("waiting-room/arrivals/", views.arrivals, name="arrivals"),
    path("consults/<uuid:public_id>/start/", views.start, name="start"),
    path("consults/<uuid:public_id>/end/", views.end, name="end"),
    path("consults/<uuid:public_id>/message/", views.send_message, name="message"),
    # Built-in video calls.
    path("consults/<uuid:public_id>/call/", call_views.call_page, name="call"),
    path("consults/<uuid:public_id>/call/events/", streams.agent_call_events, name="agent-call-events"),
    path("consults/<uuid:public_id>/call/state/", call_views.agent_state, name="agent-call-state"),
    path("consults/<uuid:public_id>/call/signal/", call_views.agent_signal, name="agent-call-signal"),
    path("consults/<uuid:public_id>/call/admit/", call_views.admit, name="call-admit"),
    path("consults/<uuid:public_id>/call/remove/", call_views.remove, name="call-remove"),
    path("join/<str:token>/call/events/", streams.client_call_events, name="client-call-events"),
    path("join/<str:token>/call/state/", call_views.client_state, name="client-call-state"),
    path("join/<str:token>/call/signal/", call_views.client_signal, name="client-call-signal"),
]
