"""The API benchmark's URLconf: every URL of the project, plus the baselines it is measured
against, which exist only here.

- `bench/naive/jobs`: what a first DRF attempt looks like, a `ModelSerializer` with every field
  of Job in a `ListAPIView` of 20 jobs (no authentication, no pagination, no query tuning: its
  many-to-many fields cost queries per row).
- `bench/naive/jobs-no-m2m`: the same without Job's many-to-many fields (skills, hiring team),
  whose per-row queries make most of the naive view's time.
- `bench/drf-empty`: a DRF view answering `{}`, the floor of a DRF request.
- `bench/django-empty`: a bare Django view answering `{}` with `JsonResponse`.
"""

from django.http import JsonResponse
from django.urls import include, path
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.models import Job


class NaiveJobSerializer(serializers.ModelSerializer):
    class Meta:
        model = Job
        fields = "__all__"


class NaiveJobList(generics.ListAPIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    pagination_class = None
    serializer_class = NaiveJobSerializer

    def get_queryset(self):
        return Job.objects.order_by("-id")[:20]


class NaiveJobNoManyToManySerializer(serializers.ModelSerializer):
    class Meta:
        model = Job
        exclude = ["skills", "hiring_team"]


class NaiveJobNoManyToManyList(NaiveJobList):
    serializer_class = NaiveJobNoManyToManySerializer


class EmptyDrfView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    def get(self, request):
        return Response({})


def empty_django_view(request):
    return JsonResponse({})


urlpatterns = [
    path("bench/naive/jobs", NaiveJobList.as_view()),
    path("bench/naive/jobs-no-m2m", NaiveJobNoManyToManyList.as_view()),
    path("bench/drf-empty", EmptyDrfView.as_view()),
    path("bench/django-empty", empty_django_view),
    path("", include("recruitment.urls")),
]
