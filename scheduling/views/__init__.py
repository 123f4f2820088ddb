from .booking import appointment_cancel, appointment_create, appointment_detail, appointment_edit, series_preview
from .overview import agenda, dashboard

__all__ = [
    "agenda",
    "appointment_cancel",
    "appointment_create",
    "appointment_detail",
    "appointment_edit",
    "dashboard",
    "series_preview",
]
