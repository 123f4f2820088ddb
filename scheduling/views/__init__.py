from .booking import appointment_cancel, appointment_create, appointment_detail, appointment_edit
from .overview import agenda, dashboard

__all__ = ["agenda", "appointment_cancel", "appointment_create", "appointment_detail", "appointment_edit", "dashboard"]
