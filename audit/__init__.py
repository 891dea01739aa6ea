"""The audit trail: who changed what, when and through which channel (append-only), with its page,
API and admin. Shared infrastructure: imports no project app; who may read it is registered from above."""
