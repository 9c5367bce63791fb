"""PetLand's own pages (the API and the admin have theirs): the home page at ``/``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    """Where a new user lands: what PetLand is and a link to each of its parts."""
    return render(request, "petland/home.html")
