from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AssessmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessments"

    def ready(self) -> None:
        from assessments.roles import recruiters_group_sync
        from assessments.services.bank_versions import bank_versions_connect
        from assessments.services.tokens import deactivation_revokes

        bank_versions_connect()
        deactivation_revokes()

        post_migrate.connect(recruiters_group_sync, sender=self, dispatch_uid="recruiters_group_sync")
