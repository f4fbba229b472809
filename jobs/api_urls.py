"""Routes in /api/v1/."""

urlpatterns: list = []
