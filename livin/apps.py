from django.apps import AppConfig


class LivinConfig(AppConfig):
    name = "livin"
