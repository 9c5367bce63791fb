from django.apps import AppConfig


class PetlandConfig(AppConfig):
    name = "petland"
    verbose_name = "PetLand"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from petland import activity, domain

        activity.connect_signals({declared.model: declared.bookkeeping for declared in domain.activity_logged()})
