"""Reads of import jobs: a job is its uploader's alone (anyone else gets a 404)."""

from django.db.models import QuerySet

from .models import ImportJob


def import_jobs_of(user) -> QuerySet[ImportJob]:
    """The user's jobs, newest first, without their files."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ImportJob.objects.none()
    return ImportJob.objects.filter(created_by=user).defer("content", "parsed", "result")


def import_job_get(*, user, pk) -> ImportJob:
    """The job if `user` uploaded it; ImportJob.DoesNotExist otherwise (so: 404). Its
    file and rows as read are loaded when asked for (the rejected rows), not for every
    page or progress poll."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise ImportJob.DoesNotExist
    return (
        ImportJob.objects.select_related("created_by")
        .defer("content", "parsed")
        .get(pk=pk, created_by=user)
    )
