"""People of interest on a case and their identifiers: the person index (docs/people.md).

A person of interest is a suspect of the case (`cases.Suspect`), a witness, or another person
the investigation follows. Each carries identifiers — phone numbers, passport and CNIC numbers,
names and aliases, social-media handles, bank or hawala references, vehicle and vessel names —
stored as Fernet tokens under FIELD_ENCRYPTION_KEYS (`victims.crypto.EncryptedTextField`, as
victims' personal fields) with a keyed blind index of their match key (`people.normalise`)
under BLIND_INDEX_KEY: the database compares identifiers across cases without ever holding
one in the clear.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from cases.models import Case, Suspect
from people.constants import IdentifierKind, PersonRole
from people.querysets import IdentifierQuerySet, PersonQuerySet
from victims.crypto import EncryptedTextField


class PersonOfInterest(models.Model):
    """A suspect, witness or other person of interest on one case.

    A suspect's record points at the case's `Suspect` row; when the suspects of a case are
    rewritten (`cases.services.case_set_suspects` replaces the rows), the link is cleared and
    the person, with their identifiers, stays on the case under its label.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="people")
    role = models.CharField(max_length=8, choices=PersonRole.choices)
    suspect = models.OneToOneField(
        Suspect,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person_of_interest",
    )
    label = models.CharField(
        max_length=120,
        help_text="How the case refers to the person (not an identifier): "
        "“Suspect 1”, “Driver at Taftan”.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["case", "id"]
        verbose_name = "person of interest"
        verbose_name_plural = "people of interest"
        constraints = [
            models.CheckConstraint(
                condition=Q(suspect__isnull=True) | Q(role=PersonRole.SUSPECT),
                name="person_suspect_is_suspect",
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_role_display()})"


class Identifier(models.Model):
    """One identifier of a person of interest: its kind, its value (encrypted) and the blind
    index of its match key, by which identifiers on other cases are found."""

    person = models.ForeignKey(
        PersonOfInterest, on_delete=models.CASCADE, related_name="identifiers"
    )
    # The person's case, kept on the row so that a match is read from this table alone.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(max_length=8, choices=IdentifierKind.choices)
    value = EncryptedTextField()
    match_index = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = IdentifierQuerySet.as_manager()

    class Meta:
        ordering = ["person", "kind", "id"]
        indexes = [
            # The look-up and the matches: identifiers with this index, and their case.
            models.Index(fields=["match_index", "case"], name="identifier_match"),
            models.Index(fields=["case", "match_index"], name="identifier_case"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "match_index"], name="identifier_once_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.person_id}"
