"""Placeholder: filled in by the scoring pages work."""

urlpatterns = []
