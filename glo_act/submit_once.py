"""One-time form tokens: a page form sent twice (a double click, a retry after a slow answer,
the back button) saves once.

Every POST form on the pages carries `{% form_token %}`, a fresh random token per rendering.
The view hands its service call to `run`: inside one transaction it first inserts a
`FormSubmission` row for (user, token), then calls the service, then stores where the result
is shown. A second post with the same token hits the unique index: while the first is still
running it waits for it, then finds the row and is sent to the first result with "already
saved" instead of saving again. A refused first post (a form error) rolls its row back, so the
same token may be sent again once the input is corrected.

Each page view that accepts a POST says how it is guarded, in its own `form_token` attribute
(tests/test_submit_once.py crawls the templates and the URLs and fails on a form or a view
that does not):

- `REQUIRED` — the view creates something; a post without a token is refused with a form
  error and nothing is saved;
- `WHEN_SENT` — it changes an existing record whose version or state already refuses a
  replay; the token is checked when the form sends one;
- `REPEATABLE` — a repeat is intended and recorded as such (revealing personal data again);
- `SESSION_ONLY` — the post changes only the poster's own session (a second-factor code
  checked, "not now"): nothing is stored that a repeat could store twice.

Function views state it with `guard`, which sets the same attribute.

The rule is described in docs/forms.md.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext_lazy

from glo_act.errors import DomainError

__all__ = [
    "ALREADY_SAVED",
    "FIELD",
    "REPEATABLE",
    "REQUIRED",
    "SESSION_ONLY",
    "WHEN_SENT",
    "MissingFormToken",
    "Outcome",
    "SpentTokenMixin",
    "guard",
    "new_token",
    "remember",
    "run",
    "check_sent",
    "earlier_result",
    "spent",
]

FIELD = "form_token"
REQUIRED = "required"
WHEN_SENT = "when sent"
REPEATABLE = "repeatable"
SESSION_ONLY = "session only"
POLICIES = frozenset({REQUIRED, WHEN_SENT, REPEATABLE, SESSION_ONLY})

ALREADY_SAVED = gettext_lazy(
    "This form had already been sent and was saved then; it was not saved a second time."
)
MISSING = (
    "This form could not be matched to the page it came from (it may have been opened before "
    "an update), so nothing was saved. Check what you entered and send it again."
)

_SHAPE = re.compile(r"[A-Za-z0-9_-]{22,64}")


class MissingFormToken(DomainError):
    """A post to a creating form without a usable token: shown on top of the form."""

    status_code = 400
    title = "The form must be sent again"


@dataclass(frozen=True)
class Outcome:
    """What `run` did: `result` of the service (None on a repeat), where to go, and whether
    this post repeated one already saved."""

    result: Any
    url: str
    repeated: bool


def new_token() -> str:
    """A fresh token for one rendering of a form."""
    return secrets.token_urlsafe(24)


def sent_token(request: HttpRequest) -> str | None:
    token = request.POST.get(FIELD, "")
    return token if _SHAPE.fullmatch(token) else None


def check_sent(request: HttpRequest) -> None:
    """Refuse a post without a usable token before something that cannot be rolled back (a
    second-factor code, which works once) is spent on it; `run` checks it again."""
    if sent_token(request) is None:
        raise MissingFormToken(MISSING)


def spent(request: HttpRequest) -> str | None:
    """Where the earlier, saved post of this form's token went, if there was one."""
    from glo_act.models import FormSubmission

    token = sent_token(request)
    if token is None or not request.user.is_authenticated:
        return None
    earlier = (
        FormSubmission.objects.filter(user=request.user, token=token, path=request.path[:200])
        .exclude(result_url="")
        .values_list("result_url", flat=True)
        .first()
    )
    return earlier


class SpentTokenMixin:
    """A page view's POST whose token was already spent goes to the first result at once,
    before the form is read: the form might refuse what the first post made (a consent
    already given, a referral already open) with an error that hides that it was saved.

    A post that arrives while the first is still saving is caught by `run` instead. htmx posts
    are left to the view, which answers them with a fragment.
    """

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST" and request.headers.get("HX-Request") != "true":
            url = spent(request)
            if url:
                messages.info(request, ALREADY_SAVED)
                return redirect(url)
        return super().dispatch(request, *args, **kwargs)


def guard(policy: str, *, repeated: str = ALREADY_SAVED) -> Callable:
    """`SpentTokenMixin` for a function page view: `@submit_once.guard(REQUIRED)` states the
    view's rule in its `form_token` attribute (as a class sets it) and sends a post whose token
    was already spent to the first result, with `repeated` as the message, before the view
    reads the form. The view calls `run` around its service call, as a class-based one does.

    Put it under `login_required`: the token is looked up for the signed-in user.
    """
    if policy not in POLICIES:
        raise ValueError(f"Unknown form token policy {policy!r}.")

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if (
                policy in (REQUIRED, WHEN_SENT)
                and request.method == "POST"
                and request.headers.get("HX-Request") != "true"
            ):
                url = spent(request)
                if url:
                    messages.info(request, repeated)
                    return redirect(url)
            return view(request, *args, **kwargs)

        guarded.form_token = policy
        return guarded

    return decorate


class _NoEarlierPost(Exception):
    pass


def earlier_result(request: HttpRequest) -> str | None:
    """Where an earlier post of this form's token went, waiting for one still being saved.

    For a view that spends something outside `run` before it (a second-factor code, which
    works once): when that fails on a repeat, the repeat is told it was one.
    """
    from glo_act.models import FormSubmission

    token = sent_token(request)
    if token is None or not request.user.is_authenticated:
        return None
    try:
        with transaction.atomic():
            # Waits for a first post's uncommitted row, as `run` does; else is rolled back.
            FormSubmission.objects.create(user=request.user, token=token, path=request.path[:200])
            raise _NoEarlierPost
    except _NoEarlierPost:
        return None
    except IntegrityError:
        return spent(request)


def remember(request: HttpRequest, url: str) -> None:
    """Spend this post's token after a service that must commit its own refusals (an upload
    records an infected file before refusing it), so it cannot share `run`'s transaction.

    A later post of the token is then sent to `url` by `SpentTokenMixin`; two posts at the
    same instant are not held apart, as `run` would hold them.
    """
    from glo_act.models import FormSubmission

    token = sent_token(request)
    if token is not None:
        FormSubmission.objects.get_or_create(
            user=request.user,
            token=token,
            defaults={"path": request.path[:200], "result_url": url[:500]},
        )


def run(
    request: HttpRequest,
    perform: Callable[[], Any],
    *,
    result_url: Callable[[Any], str],
    required: bool,
) -> Outcome:
    """Call `perform()` once per form token; `result_url(result)` is where its result is shown.

    Raises `MissingFormToken` when `required` and the post carries no usable token, and lets
    the service's own `DomainError` through (the token is then unused).
    """
    # What a service writes for others to read (timeline lines, notifications planned at
    # commit) is in the site's language, not in the language of whoever posted (docs/i18n.md).
    with translation.override(settings.LANGUAGE_CODE):
        return _run(request, perform, result_url=result_url, required=required)


def _run(request, perform, *, result_url, required) -> Outcome:
    from glo_act.models import FormSubmission

    token = sent_token(request)
    if token is None:
        if required:
            raise MissingFormToken(MISSING)
        result = perform()
        return Outcome(result, result_url(result), repeated=False)
    path = request.path[:200]
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = FormSubmission.objects.create(user=request.user, token=token, path=path)
        except IntegrityError:
            # Another post with this token: committed (its row is read here) or rolled back
            # (then the insert would have succeeded) — PostgreSQL waited for it to end.
            earlier = FormSubmission.objects.get(user=request.user, token=token)
            if earlier.path != path or not earlier.result_url:
                raise MissingFormToken(MISSING) from None
            return Outcome(None, earlier.result_url, repeated=True)
        result = perform()
        url = result_url(result)
        FormSubmission.objects.filter(pk=record.pk).update(result_url=url[:500])
    return Outcome(result, url, repeated=False)
