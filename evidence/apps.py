from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = "Evidence and documents"

    def ready(self):
        # The record pages of the apps below draw the files section this app contributes.
        from evidence import panels  # noqa: F401
