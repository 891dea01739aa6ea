"""Outbound messages: every e-mail the product sends is a Delivery row, sent by a Celery task with
retries (services.email_enqueue, tasks.deliver). Shared infrastructure: imports no project app."""
