"""Image streams: the Django project and its core app.

The Celery app is loaded by the app config (apps.py) rather than here, so that
importing a Django-free part of the package (the isctl CLI, the registry
client) does not drag Celery and Django in.
"""
