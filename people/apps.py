from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = "People and identifiers (the person index)"

    def ready(self):
        # The case page's people section (glo_act.pages.extend_page), the API's section of the
        # case detail, and the identifiers' part of check_keys / reindex_blind_indexes.
        from people import keys, panels  # noqa: F401
        from people.api import serializers  # noqa: F401

        keys.register()
