"""Template context for the sign-in pages: how to reach HQ, and whether the session has
passed its second step (a password-only session sees no navigation). No query."""

from django.conf import settings


def sign_in(request):
    factor = getattr(request, "second_factor", None)
    return {
        "hq_contact": settings.HQ_CONTACT,
        "second_step_passed": factor is None or factor.passed,
    }
