"""Failed logins are counted by django-axes per account and per address (AXES_LOCKOUT_PARAMETERS).

axes' own reset on success clears every count the login touches: all failures from the address and all
failures for the account. One correct login to an attacker's own account would then wipe the failures
they piled up against someone else's account from the same address. A successful login clears only the
failures of that same account from that same address, so the per-account count keeps failures from other
addresses and the per-address count keeps failures for other accounts.
"""

from axes.utils import reset
from django.http import HttpRequest

from .middleware import client_address, login_username
from .models import User


def clear_own_failures(sender: object, request: HttpRequest | None, user: User, **kwargs: object) -> None:
    if request is None:
        return
    address = client_address(request)
    username = login_username(request, {"username": user.get_username()})
    # Both or nothing: with one of them missing, axes would reset by the other alone.
    if address and username:
        reset(ip=address, username=username)
