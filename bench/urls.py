"""The benchmark server's URLs (`bench.server_settings`): the project's, and two answers
that do no work of their own, measured as the framework's floor (bench/README.md, "The
framework's floor"): what any page or API answer costs before it reads or writes
anything — the request through every middleware, the session and the user read, and
for a page the base template with its header (the bell's query), for the API DRF's
authentication, permissions, throttle and JSON."""

from django.urls import path

from keyaccounts.urls import handler500
from keyaccounts.urls import urlpatterns as project_urlpatterns

from . import views

urlpatterns = [
    path("bench/empty-page/", views.empty_page, name="bench_empty_page"),
    path("api/v1/bench/empty/", views.EmptyAnswer.as_view(), name="bench_empty_answer"),
    *project_urlpatterns,
]

__all__ = ["handler500", "urlpatterns"]
