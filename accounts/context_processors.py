"""Template context for the sign-in pages: how to reach HQ (no query)."""

from django.conf import settings


def sign_in(request):
    return {"hq_contact": settings.HQ_CONTACT}
