"""A DRF serializer's fields, built once per class.

DRF builds them again for every serializer instance (model introspection, field kwargs, field
instances: ≈ 0.3 ms for a pet, most of a POST's validation), although for a ``ModelSerializer``
without per-instance field logic they depend on the class alone. Here each instance gets a deep
copy of the class's fields, which is how DRF already gives each instance its declared fields.

Internals used (pinned by tests/petland/speedups/test_drf.py): that ``get_fields()`` depends on
the serializer's class only, and that its fields deep-copy as DRF's ``_declared_fields`` do.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from rest_framework import serializers


Fields = dict[str, serializers.Field]


def cached_fields(serializer: serializers.Serializer, build: Callable[[], Fields]) -> Fields:
    """A fresh copy of the fields ``build()`` made for ``serializer``'s class the first time."""
    cls = type(serializer)
    built: Fields | None = cls.__dict__.get("_built_fields")
    if built is None:
        built = build()
        cls._built_fields = built  # type: ignore[attr-defined]
    return copy.deepcopy(built)
