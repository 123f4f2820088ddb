from .booking import appointment_cancel, appointment_create, appointment_detail, appointment_edit, series_preview
from .day_list import day_list
from .overview import agenda, dashboard

__all__ = [
    "agenda",
    "appointment_cancel",
    "appointment_create",
    "appointment_detail",
    "appointment_edit",
    "dashboard",
    "day_list",
    "series_preview",
]
