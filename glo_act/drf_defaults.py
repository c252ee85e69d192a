"""The classes DRF's settings name (throttle, pagination), kept apart from `glo_act.api`.

DRF reads DEFAULT_THROTTLE_CLASSES and DEFAULT_PAGINATION_CLASS while `rest_framework.views`
and `rest_framework.generics` are being imported; a module that itself imports
`rest_framework.views` (as `glo_act.api` does) would be imported half-way and fail. This one
imports only what those classes need.
"""

from __future__ import annotations

import codecs
import functools
import io
import logging
import re
import time

import redis
from django.core.cache import cache
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from glo_act.pages import PastTheLastPage, bounded_page

logger = logging.getLogger(__name__)


class TokenRateThrottle(SimpleRateThrottle):
    """Per API token (per session user for the browsable API); 429 with Retry-After.

    A window opens at a caller's first request and lasts the rate's period; up to the rate's
    number of requests pass in it. Counted with one Redis round trip per request (DRF's own
    throttle reads and rewrites a pickled list of timestamps in two: ~0.6 ms of CPU per
    request, measured in bench/); without Redis (development), in Django's cache.
    """

    scope = "token"

    def get_cache_key(self, request, view):
        if request.auth is not None and hasattr(request.auth, "token_key"):
            ident = f"token:{request.auth.token_key}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        count, self.seconds_left = _count_in_window(key, self.duration)
        return count <= self.num_requests

    def wait(self) -> float:
        return max(self.seconds_left, 1)


def _redis():
    from django.conf import settings

    return _redis_for(settings.REDIS_URL) if settings.REDIS_URL else None


@functools.cache
def _redis_for(url: str):
    # A Redis that hangs fails the request after 2 s instead of holding the worker.
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


# While Redis is unreachable the throttle lets requests through uncounted (the API keeps
# serving, pages do not need Redis either) and asks Redis again only after this many seconds,
# so that a Redis that hangs costs one request a timeout, not every request.
FAIL_OPEN_SECONDS = 5
_fail_open_until: dict[str, float] = {}  # per Redis URL: monotonic time to ask again


def _count_in_window(key: str, seconds: int) -> tuple[int, int]:
    """Count one request in the window under `key`; (requests so far, seconds left in it).

    (0, seconds) while Redis is unreachable: the request is let through and one log line
    (no key, no token, no address) says the throttle is off.
    """
    from django.conf import settings

    url = settings.REDIS_URL
    if not url:
        cache.add(key, 0, seconds)
        return cache.incr(key), seconds
    if time.monotonic() < _fail_open_until.get(url, 0.0):
        return 0, seconds
    client = _redis_for(url)
    try:
        pipe = client.pipeline(transaction=False)
        pipe.set(key, 0, ex=seconds, nx=True)  # opens the window unless one is open
        pipe.incr(key)
        pipe.ttl(key)
        _, count, ttl = pipe.execute()
        if ttl < 0:
            # The window ended between SET and INCR, and INCR opened a key without an expiry:
            # give it one, or this token would stay throttled for good once it reached the rate.
            client.expire(key, seconds)
            ttl = seconds
    except redis.RedisError as exc:
        _fail_open_until[url] = time.monotonic() + FAIL_OPEN_SECONDS
        logger.warning(
            "API throttle off for %d s: Redis is unreachable (%s); requests pass uncounted.",
            FAIL_OPEN_SECONDS,
            exc.__class__.__name__,
        )
        return 0, seconds
    return count, ttl


class BoundedCountPagination(PageNumberPagination):
    """Page-number pagination whose total is counted only up to `count_limit` rows.

    Counting every visible case costs more than fetching a page (docs/performance.md#counting);
    past the limit `count` is the limit and `count_is_exact` is false.
    """

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    count_limit = 1000

    def _whole_number(self, request, name: str, default: int, maximum: int) -> int:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
            raise exceptions.ValidationError({name: ["Must be a whole number."]})
        value = int(raw)
        if not 1 <= value <= maximum:
            raise exceptions.ValidationError({name: [f"Must be between 1 and {maximum}."]})
        return value

    def get_page_size(self, request) -> int:
        # DRF falls back to the default on a bad value; a partner's typo should be told instead.
        return self._whole_number(
            request, self.page_size_query_param, self.page_size, self.max_page_size
        )

    def paginate_queryset(self, queryset, request, view=None):
        """The page as the pages paginate (`glo_act.pages.bounded_page`); a view may count or
        read its page its own way (`count_rows(queryset, limit)`,
        `rows_for_page(queryset, offset, limit)`)."""
        self.request = request
        page_size = self.get_page_size(request)
        self.page_number = self._whole_number(request, self.page_query_param, 1, 10**8)
        try:
            page = bounded_page(
                queryset,
                number=self.page_number,
                page_size=page_size,
                count_limit=self.count_limit,
                rows_for_page=getattr(view, "rows_for_page", None),
                count_rows=getattr(view, "count_rows", None),
            )
        except PastTheLastPage:
            raise exceptions.NotFound("That page is past the last one.")
        self.count, self.count_is_exact = page.count, page.count_is_exact
        self.page_size_value, self.has_next = page_size, page.has_next
        return page.object_list

    def get_next_link(self):
        if not self.has_next:
            return None
        from rest_framework.utils.urls import replace_query_param

        return replace_query_param(
            self.request.build_absolute_uri(), self.page_query_param, self.page_number + 1
        )

    def get_previous_link(self):
        if self.page_number <= 1:
            return None
        from rest_framework.utils.urls import remove_query_param, replace_query_param

        url = self.request.build_absolute_uri()
        if self.page_number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.page_number - 1)

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.count,
                "count_is_exact": self.count_is_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number, from 1. A page past the last one is a 404.",
                "schema": {"type": "integer", "minimum": 1, "maximum": 10**8},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, 1 to {self.max_page_size} "
                f"(default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "count_is_exact", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "description": f"Rows in all pages, counted up to {self.count_limit}.",
                },
                "count_is_exact": {
                    "type": "boolean",
                    "description": f"False when there are more than {self.count_limit} rows.",
                },
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }


class FilterBackend(DjangoFilterBackend):
    """django-filter, left out when the request names none of the view's filters.

    With no filter given the FilterSet changes nothing, but building and validating its form
    cost ~1 ms of CPU on every list request (bench/ANALYSIS.md), the unfiltered list being
    the commonest. Given any filter, the whole FilterSet runs as usual (and refuses bad values).
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or not request.query_params.keys() & set(
            filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)


# Every byte but the four brackets, for bytes.translate to drop.
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
# An innermost pair; one sub removes all of them at once, never the pair that removing one
# uncovers (`{[]}` loses one level per pass, not two).
_INNERMOST_PAIR = re.compile(r"\[\]|\{\}")


def json_nesting_exceeds(text: str, limit: int) -> bool:
    """True when the JSON `text` opens more than `limit` arrays/objects inside each other.

    Read without recursion, so 100,000 levels cost a scan, not a RecursionError: strings and
    everything but brackets are dropped, then each pass removes every innermost pair (`[]`,
    `{}`), each step one of str's or bytes' own scans. A pair still there after `limit`
    passes sat more than `limit` levels deep. A text with no more brackets than the limit is
    not scanned at all (the common case); what is left of malformed JSON is for the parser to
    report.
    """
    if text.count("[") + text.count("{") <= limit:
        return False
    # Escaped backslashes, then escaped quotes, out; then every other quote opens or closes a
    # string, and only what lies between strings (the even pieces) can nest.
    unescaped = text.replace("\\\\", "").replace('\\"', "")
    outside = "".join(unescaped.split('"')[::2])
    brackets = outside.encode("utf-8", "replace").translate(None, _NOT_BRACKETS).decode()
    if "[" * (limit + 1) in brackets or "{" * (limit + 1) in brackets:
        return True  # the usual attack, `[[[[…`, is told at once
    for _ in range(limit):
        shorter = _INNERMOST_PAIR.sub("", brackets)
        if shorter == brackets:
            return False
        brackets = shorter
    return "[]" in brackets or "{}" in brackets


class DepthLimitedJSONParser(JSONParser):
    """DRF's JSON parser, refusing a body nested deeper than `API_MAX_JSON_DEPTH` (a 400).

    Python's json module recurses once per level: a deep enough body would raise
    RecursionError (a 500) in the parser or in whatever walks the data next.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        from django.conf import settings

        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            text = codecs.decode(raw, encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}")
        limit = settings.API_MAX_JSON_DEPTH
        if json_nesting_exceeds(text, limit):
            raise exceptions.ParseError(
                f"The JSON body is nested more than {limit} levels deep; no request of this "
                "API needs that many."
            )
        return super().parse(io.BytesIO(raw), media_type, parser_context)
