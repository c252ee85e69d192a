"""Choices of the person index: who a person of interest is, and the kinds of identifier."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PersonRole(models.TextChoices):
    SUSPECT = "suspect", _("Suspect")
    WITNESS = "witness", _("Witness")
    OTHER = "other", _("Other person of interest")


class IdentifierKind(models.TextChoices):
    PHONE = "phone", _("Phone number")
    PASSPORT = "passport", _("Passport number")
    CNIC = "cnic", _("CNIC number")
    NAME = "name", _("Name or alias")
    SOCIAL = "social", _("Social-media handle")
    BANK = "bank", _("Bank or hawala reference")
    VEHICLE = "vehicle", _("Vehicle or vessel name")


# The default region of a phone number written without its country code: Pakistan's.
DEFAULT_PHONE_REGION = "PK"

# How many matches a case page section or a look-up lists at most; past it, "more" is said.
MATCH_LIMIT = 100
