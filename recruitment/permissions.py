"""The API's default permission (settings.REST_FRAMEWORK), apart so that settings can name it
without importing DRF's views."""

from rest_framework.permissions import BasePermission


class DenyAll(BasePermission):
    """A view that states no permission classes lets nobody in."""

    def has_permission(self, request, view) -> bool:
        return False
