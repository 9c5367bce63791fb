from django.apps import AppConfig


class PetlandConfig(AppConfig):
    name = "petland"
    verbose_name = "PetLand"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from petland import activity, models

        activity.connect_signals(
            [models.User, models.Pet, models.Service, models.Reservation, models.Payment,
             models.Invoice, models.MedicalRecord, models.Employee]
        )
