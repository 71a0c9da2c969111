from .analytics import views as analytics_views
from .dashboard import views as dashboard_views
from .grade import views as grade_views
from .groups import views as group_views
from .table import views as table_views

app_name = "scoring"

# Each page module owns its own patterns.
urlpatterns = [
    *grade_views.urlpatterns,
    *dashboard_views.urlpatterns,
    *table_views.urlpatterns,
    *analytics_views.urlpatterns,
    *group_views.urlpatterns,
]
