"""The framework's floor (bench/urls.py): a page and an API answer with no work of
their own, signed in like every case."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template import engines
from rest_framework.response import Response
from rest_framework.views import APIView

# The base template (header, navigation, footer) around an empty main, compiled once as
# the cached loader keeps every page's template.
EMPTY_PAGE = engines["django"].from_string('{% extends "base.html" %}')


@login_required
def empty_page(request):
    return HttpResponse(EMPTY_PAGE.render({}, request))


class EmptyAnswer(APIView):
    """An empty JSON object, through the API's default authentication, permissions and
    throttle (the settings' REST_FRAMEWORK)."""

    def get(self, request):
        return Response({})
