"""The money: cost data and what the partnership does with it, one sub-package per capability (ingestion,
facts, planning, variances, commitments, dashboards). Imports stakeholders and the shared packages only."""
