"""Variances: the thresholds, detection against budget and run rate, and the procedure (assignment,
explanations, review, escalation) with its pages and API."""
