"""Audit of reads of personal data in the admin: who opened which candidate's page, when and
from where. Used by the admins of every app (accounts' candidate profiles, applications'
applications and documents)."""

from __future__ import annotations

from accounts.services import audit_record


def audit_personal_read(request, *, action: str, target, company) -> None:
    """Record that the signed-in member read someone's personal data, with their IP."""
    audit_record(
        action=action,
        actor=request.user,
        target=target,
        company=company,
        ip_address=request.META.get("REMOTE_ADDR"),
    )


class AuditedChangeViewMixin:
    """Audit each opening of an object's change page (a GET answered 200) as `read_action`:
    the page shows a candidate's personal data. A POST that re-renders the form, the
    changelist and a refused or missing object write nothing."""

    read_action = ""

    def read_company(self, obj):
        """The company whose data was read, for the audit trail's scoping."""
        raise NotImplementedError

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        request.audited_read_object = obj  # the one change_view reads below, no second query
        return obj

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = getattr(request, "audited_read_object", None)
        if request.method == "GET" and response.status_code == 200 and obj is not None:
            audit_personal_read(
                request, action=self.read_action, target=obj, company=self.read_company(obj)
            )
        return response
