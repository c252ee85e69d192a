"""Choices of the person index: who a person of interest is, and the kinds of identifier."""

from __future__ import annotations

from django.db import models


class PersonRole(models.TextChoices):
    SUSPECT = "suspect", "Suspect"
    WITNESS = "witness", "Witness"
    OTHER = "other", "Other person of interest"


class IdentifierKind(models.TextChoices):
    PHONE = "phone", "Phone number"
    PASSPORT = "passport", "Passport number"
    CNIC = "cnic", "CNIC number"
    NAME = "name", "Name or alias"
    SOCIAL = "social", "Social-media handle"
    BANK = "bank", "Bank or hawala reference"
    VEHICLE = "vehicle", "Vehicle or vessel name"


# The default region of a phone number written without its country code: Pakistan's.
DEFAULT_PHONE_REGION = "PK"

# How many matches a case page section or a look-up lists at most; past it, "more" is said.
MATCH_LIMIT = 100
