"""``POST /api/visits/``: a signed-in client books a visit for their pet (through the service)."""

from __future__ import annotations

from django.contrib.auth.models import User
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from visits import services


class VisitBookApi(APIView):
    class InputSerializer(serializers.Serializer):
        pet_name = serializers.CharField(max_length=100)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        pet_name = serializers.CharField()
        status = serializers.CharField()

    def post(self, request: Request) -> Response:
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        assert isinstance(request.user, User)  # IsAuthenticated (the default permission) let them in
        visit = services.visit_book(owner=request.user, pet_name=given.validated_data["pet_name"])
        return Response(self.OutputSerializer(visit).data, status=status.HTTP_201_CREATED)
