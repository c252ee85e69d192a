from django.apps import AppConfig


class VictimsConfig(AppConfig):
    name = "victims"
    verbose_name = "Victims and referrals"

    def ready(self):
        from django.core.checks import Tags, register

        from victims.keys import keys_check

        # A database check: run by `check --database default` and by every `migrate`.
        register(keys_check, Tags.database)
