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
