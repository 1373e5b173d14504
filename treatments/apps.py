from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    name = "treatments"

    def ready(self):
        from simple_history.signals import post_create_historical_record

        from . import cache

        # Every history record raises the knowledge-base version that caches key on (see cache.py).
        post_create_historical_record.connect(cache.bump_version, dispatch_uid="treatments-kb-version")
