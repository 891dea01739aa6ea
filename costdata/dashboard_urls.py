"""Page URLs of the dashboards and review packs (kept apart from the ingestion pages' costdata/urls.py)."""

urlpatterns: list = []
