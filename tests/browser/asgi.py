"""The project's ASGI application, serving static files as well, for the browser tests.

Under daphne with DEBUG off nothing else serves ``/static/`` (the admin's CSS, the realtime
scripts); in production a web server or WhiteNoise does. Django's own handler serves them
here from the apps' static folders, as ``runserver`` does.
"""

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

from petland.asgi import application as project_application

application = ASGIStaticFilesHandler(project_application)
