"""Where cost data comes from: sources, Cost Explorer and FOCUS files, refresh windows, pulls and
imports, and their API and pages."""
