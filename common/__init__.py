"""Shared plumbing that imports no project app: the API's pagination, its one exception handler,
throttling, token authentication (and the token table), request logging, transactions, small helpers."""
