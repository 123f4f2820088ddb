"""The one error type every sending backend raises."""

from .models import Reason


class DeliveryError(Exception):
    """Sending failed. `permanent` failures are recorded and shown; the others are tried again later."""

    def __init__(self, message: str, *, permanent: bool = False, reason: str = Reason.UNKNOWN) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.reason = reason if permanent else Reason.TEMPORARY
