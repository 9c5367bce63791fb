from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from visits.models import Treatment, Vet, Visit


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"client{n}")


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"vet{n}")
    is_staff = True


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    owner = factory.SubFactory(UserFactory)
    pet_name = "Luna"


class TreatmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Treatment

    name = factory.Sequence(lambda n: f"Treatment {n}")
    price = Decimal("40.00")


class VetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vet

    name = factory.Sequence(lambda n: f"Dr. Vet {n}")
