from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import user_memberships


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    class MembershipOutput(serializers.Serializer):
        company_id = serializers.IntegerField()
        company = serializers.CharField(source="company.name")
        company_slug = serializers.CharField(source="company.slug")
        role = serializers.CharField()

    class Output(serializers.Serializer):
        id = serializers.IntegerField()
        email = serializers.EmailField()
        full_name = serializers.CharField()
        is_candidate = serializers.BooleanField()
        memberships = serializers.ListField(child=serializers.DictField())

    @extend_schema(responses=Output, summary="The authenticated user and their company roles")
    def get(self, request):
        memberships = user_memberships(user=request.user)
        data = {
            "id": request.user.pk,
            "email": request.user.email,
            "full_name": request.user.full_name,
            "is_candidate": hasattr(request.user, "candidate_profile"),
            "memberships": self.MembershipOutput(memberships, many=True).data,
        }
        return Response(self.Output(data).data)
