"""The one write of the audit trail: `record(...)`, called by the doors themselves."""

from __future__ import annotations

from audit.models import AuditEntry, AuditKind


def record(*, user, kind: str, subject: str, detail: str = "") -> None:
    """One line: `user` opened or exported `subject` (a code or a name, never personal data)."""
    if user is None or not user.is_authenticated:
        return
    AuditEntry.objects.create(
        user=user, kind=AuditKind(kind), subject=subject[:120], detail=detail[:300]
    )


def case_opened(user, case) -> None:
    record(user=user, kind=AuditKind.CASE_OPENED, subject=case.reference)


def exported(user, what: str, detail: str = "") -> None:
    record(user=user, kind=AuditKind.EXPORT, subject=what, detail=detail)
