"""Writes for the dashboards that sit outside the capability packages for now: cache warming."""
