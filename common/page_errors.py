"""How pages show a service's refusal: as messages, or on the form fields it names (every app's pages)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError


def error_messages(error: ValidationError) -> list[str]:
    """Each message of `error`, prefixed with the field it names (none for the form as a whole)."""
    if hasattr(error, "message_dict"):
        return [
            f"{field}: {m}" if field != "__all__" else m
            for field, ms in error.message_dict.items()
            for m in ms
        ]
    return list(error.messages)


def add_form_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put `error`'s messages on the fields they name, or on the form when it has no such field."""
    if hasattr(error, "message_dict"):
        for field, field_messages in error.message_dict.items():
            for message in field_messages:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def require(allowed: bool, message: str = "Your role does not give access to this page.") -> None:
    if not allowed:
        raise PermissionDenied(message)
