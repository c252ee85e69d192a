"""Shared REST API machinery: problem+json errors, scoped viewsets, ETags, idempotent POSTs.

Every app's `api/` builds on these, so the API behaves the same whichever resource is asked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from glo_act.drf_defaults import BoundedCountPagination, TokenRateThrottle  # noqa: F401
from glo_act.errors import ConflictError, DomainError

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://glo-act.fia.gov.pk/problems/"

_TITLES = {
    400: _("Invalid request"),
    401: _("Authentication required"),
    403: _("Not allowed"),
    404: _("Not found"),
    405: _("Method not allowed"),
    406: _("Not acceptable"),
    409: _("Conflict"),
    412: _("Precondition failed"),
    415: _("Unsupported media type"),
    422: _("Unprocessable request"),
    428: _("Precondition required"),
    429: _("Too many requests"),
}


def problem(
    status_code: int,
    detail: str,
    *,
    title: str | None = None,
    type_: str | None = None,
    errors: dict | None = None,
    headers: dict | None = None,
    **extra,
) -> Response:
    """A response in the RFC 9457 problem-details shape used for every API error."""
    body = {
        "type": PROBLEM_BASE + (type_ or str(status_code)),
        "title": str(title or _TITLES.get(status_code, _("Error"))),
        "status": status_code,
        "detail": str(detail),
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = Response(body, status=status_code, headers=headers)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def _flatten(detail) -> dict[str, list[str]]:
    """DRF's nested validation detail as {field: [messages]}, nested fields dotted."""
    out: dict[str, list[str]] = {}

    def walk(value, prefix: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{prefix}.{key}" if prefix else str(key))
        elif isinstance(value, list) and value and not isinstance(value[0], str):
            for index, item in enumerate(value):
                walk(item, f"{prefix}.{index}" if prefix else str(index))
        else:
            messages = value if isinstance(value, list) else [value]
            out.setdefault(prefix or "non_field_errors", []).extend(str(m) for m in messages)

    walk(detail, "")
    return out


def problem_exception_handler(exc, context):
    """DRF exception handler: every error, ours or DRF's, as application/problem+json."""
    if isinstance(exc, DomainError):
        errors = {exc.field: [exc.message]} if exc.field else None
        extra = {"code": exc.code}
        if isinstance(exc, ConflictError):
            extra.update(
                changed_by=exc.changed_by,
                changed_at=exc.changed_at.isoformat() if exc.changed_at else None,
                changes=exc.changes,
            )
        return problem(
            exc.status_code,
            exc.message,
            title=exc.title,
            type_=exc.code,
            errors=errors,
            **extra,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("No such object, or it is not shared with you."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real server error: Django's 500 handling and logging take over
    headers = {
        k: v
        for k, v in response.headers.items()
        if k in {"Retry-After", "WWW-Authenticate", "Allow"}
    }
    if isinstance(exc, exceptions.ValidationError):
        return problem(
            400,
            _("Some fields are not valid; see errors."),
            errors=_flatten(exc.detail),
            headers=headers,
        )
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    if isinstance(detail, dict | list):
        return problem(
            response.status_code, _("See errors."), errors=_flatten(detail), headers=headers
        )
    return problem(response.status_code, str(detail), headers=headers)


# --- strict fields -------------------------------------------------------------------------------


class StrictCharField(serializers.CharField):
    """A text field that takes a JSON string only.

    DRF's CharField turns a number into its text (`"note": -338` becomes "-338"), so a client's
    bug passes as data; the schema says string, and a number is a 400 naming the field.
    """

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


# --- schema helpers -----------------------------------------------------------------------------

ProblemSerializer = inline_serializer(
    name="Problem",
    fields={
        "type": serializers.CharField(),
        "title": serializers.CharField(),
        "status": serializers.IntegerField(),
        "detail": serializers.CharField(),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()), required=False
        ),
        "code": serializers.CharField(required=False),
    },
)


# What each problem status means in this API, for the generated documentation.
_DESCRIPTIONS = {
    400: "Invalid request: a field, filter or page parameter is not valid; `errors` names each "
    "field with its messages.",
    401: "No credentials, or the token is unknown, revoked or expired. Send "
    "`Authorization: Token <token>`; ask HQ for a new token.",
    403: "You can see this object but may not do this to it (e.g. not the recipient, or your "
    "share is not at the level this needs).",
    404: "No such object, or it is not shared with you: the two are not told apart.",
    409: "The rules refuse this change now (e.g. a status change not allowed from the current "
    "status); `code` names the rule.",
    412: "`If-Match` names an older version: fetch the object again and retry with its new "
    "`ETag`. Nothing was changed.",
    422: "The request is well-formed but cannot be processed: a missing reason or consent, or "
    "an `Idempotency-Key` already used for a different request.",
    428: "This change needs an `If-Match` header with the object's current `ETag`.",
    429: "Too many requests for this token; wait the seconds given in `Retry-After`.",
}


def problem_responses(*codes: int) -> dict[tuple[int, str], OpenApiResponse]:
    """OpenAPI responses (`application/problem+json`) for the problem codes an endpoint may
    answer."""
    return {
        (code, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            response=ProblemSerializer,
            description=_DESCRIPTIONS.get(code, str(_TITLES.get(code, "Error"))),
        )
        for code in codes
    }


READ_ERRORS = (401, 404, 429)
LIST_ERRORS = (400, 401, 404, 429)
ACTION_ERRORS = (400, 401, 403, 404, 409, 412, 422, 429)
WRITE_ERRORS = (400, 401, 403, 404, 409, 412, 422, 428, 429)

IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="The `ETag` of the representation you are acting on; 412 if it is stale "
    "(someone changed it since you read it) and nothing is changed.",
)
IF_MATCH_REQUIRED = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="The `ETag` from your last read of this object. Required: 428 without it, "
    "412 if it is stale (someone changed it since you read it); nothing is changed then.",
)
ETAG_HEADER = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200],
    description="The version of this representation; send it back in `If-Match` to change it.",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="A unique key per intended operation (e.g. a UUID). A replay with the same key "
    "returns the first response and creates nothing; the same key with another body is a 422.",
)


API_DESCRIPTION = """\
The GLO.ACT case coordination API for embassy focal points, partner agencies and service
providers working with the FIA's link offices.

**Access.** Ask FIA headquarters for an API token and send it on every call as
`Authorization: Token <token>`. Tokens expire (`GET /api/v1/me/` tells you when) and can be
revoked by HQ; an expired or revoked token is a 401. You see only what is shared with your
organisation: anything else answers 404, exactly as if it did not exist.

**Cases and handling codes.** Every case carries `access`: the level you see it at (`summary`,
`full`, `full_with_victims`) and the handling code of the share — H0 crime prevention and
investigation only; H1 not for use in judicial proceedings without the originator's consent;
H2 no onward dissemination without the originator's consent; H3 the restrictions stated in
`handling_conditions`. Your organisation is bound by them. Fields above your level are absent.

**Victims.** Victims appear by pseudonymous code. Personal data appears only where the victim's
consent allows it for your organisation (or, for service providers, what the service needs
while you work a referral), and every response carrying it is recorded.

**Lists** are paginated: `page` (from 1) and `page_size` (1–100, default 25); `count` is exact up
to 1,000 rows (`count_is_exact`), and `next` is null on the last page. Order is stable.

**Safe writes.** Detail responses carry an `ETag`; send it back in `If-Match` when you change
the object (required for `PATCH`, 428 without it): 412 means someone changed it since you read
it, and nothing was changed. Send an `Idempotency-Key` (e.g. a UUID) on `POST`: a retry with the
same key returns the first response (header `Idempotent-Replayed: true`) and does nothing
again; the same key with a different body is a 422. {idempotency_window}

**Errors** are `application/problem+json` (RFC 9457): `type`, `title`, `status`, `detail` and,
for invalid input, `errors` (field → messages). 429 means too many calls for your token: wait
the seconds in `Retry-After`.
"""

RETRY_AFTER = {
    "description": "Seconds to wait before calling again.",
    "schema": {"type": "integer"},
}
REPLAYED = {
    "description": "`true` when this is the stored response to an earlier request with the "
    "same Idempotency-Key.",
    "schema": {"type": "string", "enum": ["true"]},
}


def describe_api(result, generator, request, public):
    """drf-spectacular post-processing: the overview, the token scheme, and the headers that
    every 429 and every idempotent POST may carry."""
    from django.conf import settings

    hours = settings.RETENTION_IDEMPOTENCY_HOURS
    result["info"]["description"] = API_DESCRIPTION.format(
        idempotency_window=f"A key is remembered for at least {hours} hours; after that, "
        "a request with it may be taken as new."
        if hours
        else "A key is remembered for good."
    )
    schemes = result.get("components", {}).get("securitySchemes", {})
    if "knoxApiToken" in schemes:
        schemes["knoxApiToken"]["description"] = (
            "`Authorization: Token <token>`, a token issued by FIA headquarters."
        )
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.get("responses", {})
            if "429" in responses:
                responses["429"].setdefault("headers", {})["Retry-After"] = RETRY_AFTER
            names = {p.get("name") for p in operation.get("parameters", [])}
            if method == "post" and "Idempotency-Key" in names:
                for code, response in responses.items():
                    if code.startswith("2"):
                        response.setdefault("headers", {})["Idempotent-Replayed"] = REPLAYED
    return result


# --- filters ------------------------------------------------------------------------------------


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time turned into UTC before it reaches the database.

    PostgreSQL refuses UTC offsets beyond ±15:59 that Python accepts (up to ±23:59), and a
    time near year 9999 may not survive the conversion: both are a 400, never a 500.
    """

    def to_python(self, value):
        result = super().to_python(value)
        if result is None:
            return None
        try:
            return result.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            raise DjangoValidationError("This date and time is out of range.", code="invalid")


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class StrictFilterSet(django_filters.FilterSet):
    """A FilterSet that refuses a filter given with an empty value (`?status=`).

    django-filter reads an empty value as "no filter", as an HTML form would send it; from an
    API client it is more likely a bug (a variable left unset) than a wish for everything.
    """

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name in self.filters:
            if name in self.data and self.data.get(name, "").strip() == "":
                self.form.add_error(name, "Give a value, or leave the parameter out.")
                valid = False
        return valid


# --- scoped viewsets ----------------------------------------------------------------------------


class VisibleQuerysetMixin:
    """Reads through `Model.objects.visible_to(request.user)`, once, for every API view.

    Subclasses set `queryset` (the base, with select_related etc.); an object outside the user's
    visible set is simply not found: 404, never 403.
    """

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().visible_to(self.request.user)


# --- ETag / If-Match ----------------------------------------------------------------------------


def etag_for(obj) -> str:
    """A strong ETag from the object's identity and version (or last update time)."""
    marker = getattr(obj, "version", None)
    if marker is None:
        marker = getattr(obj, "updated_at", None) or getattr(obj, "status", "")
    raw = f"{obj._meta.label}:{obj.pk}:{marker}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def check_if_match(request, obj, *, required: bool = False) -> Response | None:
    """412 when the client's If-Match names another version than the current one.

    With `required`, a request without If-Match is refused with 428: an update made without
    saying which version it was made on could silently overwrite someone else's change.
    """
    header = request.headers.get("If-Match")
    if not header:
        if required:
            return problem(
                428,
                "Send If-Match with the ETag of your last read of this object.",
                headers={"ETag": etag_for(obj)},
            )
        return None
    current = etag_for(obj)
    offered = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if "*" in offered or current in offered:
        return None
    return problem(
        412,
        "The object changed since you read it; fetch it again and retry with its new ETag.",
        headers={"ETag": current},
    )


# --- Idempotency-Key ----------------------------------------------------------------------------


def idempotent(view_method: Callable) -> Callable:
    """Wrap a POST handler: a replay of the same Idempotency-Key returns the stored response.

    The key is per user. The same key with a different body or path is refused with 422.
    """
    from functools import wraps

    @wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        from glo_act.models import IdempotencyRecord

        key = request.headers.get("Idempotency-Key")
        if not key:
            return view_method(self, request, *args, **kwargs)
        if len(key) > 100:
            return problem(400, "Idempotency-Key must be at most 100 characters.")
        fingerprint = hashlib.sha256(
            request.method.encode()
            + request.path.encode()
            + json.dumps(request.data, sort_keys=True, default=str).encode()
        ).hexdigest()
        # The key is claimed, the operation runs and its response is stored in one
        # transaction: a concurrent replay waits on the unique index, then sees the result.
        try:
            with transaction.atomic():
                # A record older than the retention window is absent, purged or not yet: the
                # key starts afresh instead of replaying a response the policy says is gone.
                expired_before = idempotency_cutoff()
                if expired_before is not None:
                    IdempotencyRecord.objects.filter(
                        user=request.user, key=key, created_at__lt=expired_before
                    ).delete()
                record = IdempotencyRecord.objects.create(
                    user=request.user, key=key, fingerprint=fingerprint, status_code=0, body={}
                )
                response = view_method(self, request, *args, **kwargs)
                if 200 <= response.status_code < 300:
                    record.status_code = response.status_code
                    record.body = json.loads(json.dumps(response.data, default=str))
                    record.save(update_fields=["status_code", "body"])
                else:
                    record.delete()  # a refused request may be retried with the same key
                return response
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
            if existing is None:
                raise
            return _replay(existing, fingerprint)

    return wrapper


def idempotency_cutoff():
    """Stored responses created before this are expired (`RETENTION_IDEMPOTENCY_HOURS`;
    None when they are kept for good)."""
    from django.conf import settings
    from django.utils import timezone

    hours = settings.RETENTION_IDEMPOTENCY_HOURS
    return timezone.now() - dt.timedelta(hours=hours) if hours else None


def _replay(record, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        return problem(
            422,
            "This Idempotency-Key was already used for a different request.",
            type_="idempotency-key-reused",
        )
    response = Response(record.body, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


__all__ = [
    "ACTION_ERRORS",
    "ETAG_HEADER",
    "IDEMPOTENCY_KEY",
    "IF_MATCH",
    "IF_MATCH_REQUIRED",
    "LIST_ERRORS",
    "PROBLEM_CONTENT_TYPE",
    "READ_ERRORS",
    "WRITE_ERRORS",
    "BoundedCountPagination",
    "ProblemSerializer",
    "StrictCharField",
    "StrictFilterSet",
    "TokenRateThrottle",
    "UtcIsoDateTimeFilter",
    "VisibleQuerysetMixin",
    "check_if_match",
    "describe_api",
    "etag_for",
    "idempotent",
    "problem",
    "problem_exception_handler",
    "problem_responses",
    "status",
]
