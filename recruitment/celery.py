import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recruitment.settings")

app = Celery("recruitment")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="recruitment.ping")
def ping(payload: str = "pong") -> dict:
    """Answer with the worker's host name; used by the health of the queue and its tests."""
    import socket

    return {"payload": payload, "worker": socket.gethostname(), "pid": os.getpid()}
