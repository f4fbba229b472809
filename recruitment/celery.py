import os

from celery import Celery
from celery.contrib.django.task import DjangoTask
from django.db import transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recruitment.settings")


ON_COMMIT_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0}


class Task(DjangoTask):
    """Celery's Django task, with `delay_on_commit` that cannot fail the request that called it.

    A task queued on commit is a kick after the data is stored. Celery registers it as a plain
    on_commit hook, so with the broker down its error escaped after the commit: the client got a
    500 or 503 for an application that was saved (4 of 150 in a broker-outage run, issue 9).
    Robust hooks log the error instead; sweepers pick up the work (the outbox's, for email).
    """

    def delay_on_commit(self, *args, **kwargs) -> None:
        self.apply_async_on_commit(args, kwargs)

    def apply_async_on_commit(self, *args, **kwargs) -> None:
        # One quick retry (a pooled connection gone stale), not Celery's three with waits: the
        # request is waiting, and a kick that cannot be queued is the sweeper's to make up.
        kwargs.setdefault("retry_policy", ON_COMMIT_RETRY_POLICY)

        # A function, not a functools.partial: Django names the hook in its log line.
        def queue() -> None:
            self.apply_async(*args, **kwargs)

        queue.__qualname__ = f"{self.name}.apply_async"
        transaction.on_commit(queue, robust=True)


app = Celery("recruitment", task_cls=Task)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="recruitment.ping")
def ping(payload: str = "pong") -> dict:
    """Answer with the worker's host name; used by the health of the queue and its tests."""
    import socket

    return {"payload": payload, "worker": socket.gethostname(), "pid": os.getpid()}
