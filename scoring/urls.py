from . import account_views, dashboard_views, table_views
from .analytics import views as analytics_views

app_name = "scoring"

# Each page module owns its own patterns.
urlpatterns = [
    *account_views.urlpatterns,
    *dashboard_views.urlpatterns,
    *table_views.urlpatterns,
    *analytics_views.urlpatterns,
]
