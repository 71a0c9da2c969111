from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.views import people_search_view

from . import views
from .offline import views as offline_views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", views.set_language_view, name="set_language"),
    path("healthz/", views.healthz, name="healthz"),
    path("sw.js", offline_views.service_worker_view, name="service_worker"),
    path("offline/", offline_views.offline_view, name="offline"),
    path("lockouts/", include("keyaccounts.lockout.urls")),
    path("api/v1/", include("keyaccounts.api.urls")),
    path("accounts/", include("accounts.urls")),
    # The people pickers' suggestions (accounts/picker.py): our people, not customers.
    path("people/search/", people_search_view, name="people_search"),
    path("", include("visits.urls")),
    path("", include("opportunities.urls")),
    path("", include("scoring.urls")),
    path("policy/", include("accounts.policy.views")),  # service policy by grade
    path("", include("scoring.plans.urls")),  # account plans (issue 13)
    path("", include("scoring.receivables.urls")),  # invoice receivables (issue 13)
    path("", include("visits.reviews.urls")),  # review meetings (issue 13)
    path("", include("visits.complaints.urls")),  # complaints in a closed loop (issue 13)
    path("recycle-bin/", include("keyaccounts.recyclebin.urls")),
    path("import/", include("keyaccounts.imports.urls")),
    path("export/", include("keyaccounts.exports.urls")),
    path("", include("keyaccounts.integrations.urls")),
    path("admin/", admin.site.urls),
]

# A database that does not answer is a 503 with Retry-After, not a 500 (keyaccounts/health.py).
handler500 = "keyaccounts.views.server_error"
