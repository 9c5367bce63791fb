"""PetLand's own pages (the API and the admin have theirs): the home page at ``/``, a customer's
conversations at ``/chat/``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    """Where a new user lands: what PetLand is and a link to each of its parts."""
    return render(request, "petland/home.html")


def chat(request: HttpRequest) -> HttpResponse:
    """A customer's side of the conversations (issue 16): sign in, pick a reservation, talk to
    the clinic. It holds no data of its own: everything comes over the API and the chat socket."""
    return render(request, "petland/chat.html")
