from django.contrib.auth.backends import ModelBackend

from .models import User


class EmailBackend(ModelBackend):
    """Loads the user together with their organisation: every page needs both."""

    def get_user(self, user_id: int) -> User | None:
        try:
            user = User.objects.select_related("organisation").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
