"""The test settings with a publications table whose serializer emits no ``visit_id``: what
``manage.py check`` must refuse (realtime.E002)."""

from tests.settings import *  # noqa: F401,F403
from tests.settings import REALTIME

REALTIME = {**REALTIME, "PUBLICATIONS": "tests.test_project.publications_without_an_id"}
