"""Template context for the sign-in pages: how to reach HQ, and whether the session has
passed its second step (a password-only session sees no navigation). No query."""

from django.conf import settings
from django.utils.translation import gettext, gettext_noop

# The default HQ_CONTACT (glo_act/settings.py), so that Urdu pages say it in Urdu too.
gettext_noop("the HQ duty officer, Immigration Wing, FIA Headquarters, Islamabad")


def sign_in(request):
    factor = getattr(request, "second_factor", None)
    return {
        "hq_contact": gettext(settings.HQ_CONTACT),
        "second_step_passed": factor is None or factor.passed,
    }
