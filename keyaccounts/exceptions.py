"""The one application error type. Pages show its message; the API maps it to JSON."""


class ApplicationError(Exception):
    """A business rule refused the action. `message` is safe to show to the user."""

    def __init__(self, message, *, code: str = "invalid", extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.extra = extra or {}


class VersionConflict(ApplicationError):
    """The record changed since the caller read it (another tab, user or client)."""

    def __init__(self, message, *, current_version: int | None, changed_fields: list | None = None):
        extra = {"current_version": current_version}
        if changed_fields is not None:
            extra["changed_fields"] = changed_fields
        super().__init__(message, code="version_conflict", extra=extra)
        self.current_version = current_version


def all_checked(*checks) -> None:
    """Run every check (a callable raising Django's ValidationError) and raise their
    problems as one, by field: a person is told every problem of what they sent in one
    round, not one after another as each is mended. Anything else a check raises (a rule
    that refuses the action itself) stops at once."""
    from django.core.exceptions import ValidationError

    errors: dict = {}
    for check in checks:
        try:
            check()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def as_form_errors(form, checks) -> None:
    """`all_checked(*checks)` for a form's `clean`: each problem added to its field when
    the form has no error there yet (its own field checks come first)."""
    from django.core.exceptions import ValidationError

    try:
        all_checked(*checks)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            if name in form.fields and name not in form.errors:
                form.add_error(name, messages)
