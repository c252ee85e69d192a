"""What people opened and exported: one row per case page opened, per file downloaded, per
export. Reads of victims' personal data have their own record (`victims.PersonalDataAccess`,
with the reason); HQ's audit view (`audit.views`) shows both."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditKind(models.TextChoices):
    CASE_OPENED = "case_opened", "Opened a case"
    FILE_DOWNLOADED = "file", "Downloaded a file"
    EXPORT = "export", "Exported"


class AuditEntry(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now, editable=False)
    kind = models.CharField(max_length=12, choices=AuditKind.choices)
    # What was opened or exported, by its code (a case reference, an export's name): never a
    # victim's personal data.
    subject = models.CharField(max_length=120)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["kind", "-at"], name="audit_kind_at"),
            models.Index(fields=["user", "-at"], name="audit_user_at"),
        ]

    def __str__(self) -> str:
        what = self.get_kind_display().lower()
        return f"{self.user} {what} {self.subject} at {self.at:%Y-%m-%d %H:%M}"
