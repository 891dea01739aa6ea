"""The dashboards capability: URL filters, cost scopes, cached reads, charts and the pages built on them,
with the registries through which budgets, panels and scope-page offers plug in."""
