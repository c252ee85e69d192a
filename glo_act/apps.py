from django.apps import AppConfig


class GloActConfig(AppConfig):
    name = "glo_act"
    verbose_name = "GLO.ACT"
