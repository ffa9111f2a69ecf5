import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resonance.settings")

app = Celery("resonance")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
