from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", views.set_language_view, name="set_language"),
    path("healthz/", views.healthz, name="healthz"),
    path("api/v1/", include("keyaccounts.api.urls")),
    path("accounts/", include("accounts.urls")),
    path("", include("visits.urls")),
    path("", include("opportunities.urls")),
    path("", include("scoring.urls")),
    path("recycle-bin/", include("keyaccounts.recyclebin.urls")),
    path("import/", include("keyaccounts.imports.urls")),
    path("export/", include("keyaccounts.exports.urls")),
    path("admin/", admin.site.urls),
]
