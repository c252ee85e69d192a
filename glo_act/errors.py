"""Domain errors raised by services and rendered alike by pages, the API and the admin."""

from __future__ import annotations


class DomainError(Exception):
    """A request that the rules refuse; `message` is shown to the user as it is.

    `field` names the form/serializer field the error belongs to, when there is one.
    """

    status_code = 400
    title = "The request was refused"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code or self.__class__.__name__


class InvalidTransition(DomainError):
    """A status change that the transition table does not allow."""

    status_code = 409
    title = "That status change is not allowed"


class ConflictError(DomainError):
    """An edit made on an older version of the record (optimistic concurrency)."""

    status_code = 409
    title = "The record was changed by someone else"

    def __init__(self, message: str, *, changed_by: str = "", changed_at=None, changes=None):
        super().__init__(message)
        self.changed_by = changed_by
        self.changed_at = changed_at
        self.changes = changes or {}


class PermissionDenied(DomainError):
    """The acting user may see the object but not do this to it."""

    status_code = 403
    title = "You may not do this"


class ConsentRequired(DomainError):
    """The victim has not consented to what was asked (or withdrew it)."""

    status_code = 422
    title = "Consent is missing"
