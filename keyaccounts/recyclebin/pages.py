"""The delete page every record type shares: GET asks, POST moves to the recycle bin.

Each app's delete view finds its record through the visibility selectors (404 outside
them) and hands this the type's delete service; the rules stay in the services.
"""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from keyaccounts.exceptions import ApplicationError, VersionConflict

from .labels import along_counts, along_text, type_label
from .models import Deletion
from .selectors import deletions_visible_to


def answers_binned(model):
    """Wrap a delete view of `model` (a model class): a request for a record that is
    in the recycle bin — the same delete sent twice (a double click, a phone's retry), or
    its page opened again by the Back button after the delete — is told so and sent to
    the bin, where the first put it, rather than answered 404. Only for a delete the user
    may see in the bin (`deletions_visible_to`: the bin's own rule); every other record
    the view cannot find stays 404."""

    def wrap(view):
        @wraps(view)
        def wrapped(request, *args, pk, **kwargs):
            try:
                return view(request, *args, pk=pk, **kwargs)
            except Http404:
                entry = (
                    deletions_visible_to(request.user)
                    .filter(model=model._meta.label_lower, object_id=pk)
                    .order_by("-deleted_at")
                    .first()
                )
                if entry is None:
                    raise
                messages.info(
                    request, _("“%(name)s” is already in the recycle bin.") % {"name": entry.label}
                )
                return redirect("recyclebin:bin")

        return wrapped

    return wrap


def delete_page(
    request,
    *,
    record,
    delete: Callable[[int | None], Deletion],
    cancel_url: str,
    done_url: str,
    along=(),
    check: Callable[[], None] | None = None,
):
    """Ask (GET), then delete (POST) `record` with `delete(expected_version)`.

    `along`: the querysets the delete takes with it, counted on the page; `check()`
    raises the ApplicationError the delete would, so the page can say why before anyone
    confirms. A refusal on POST is shown as a message on the record's page
    (`cancel_url`) and changes nothing; after the delete the user lands on `done_url`
    with a message that links to the recycle bin."""
    name = str(record)
    if request.method == "POST":
        version = request.POST.get("version", "")
        expected = int(version) if version.isdigit() and len(version) < 10 else None
        try:
            deletion = delete(expected)
        except VersionConflict:
            messages.error(
                request,
                _(
                    "Someone changed “%(name)s” since you opened it, so it was not deleted. "
                    "Look at it again, then delete it if you still mean to."
                )
                % {"name": name},
            )
            return redirect(cancel_url)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect(cancel_url)
        except ObjectDoesNotExist:  # someone deleted it a moment earlier
            messages.info(request, _("“%(name)s” is already in the recycle bin.") % {"name": name})
            return redirect(done_url)
        with_it = along_text(deletion.counts)
        text = (
            _("“%(name)s” moved to the recycle bin with %(along)s.")
            if with_it
            else _("“%(name)s” moved to the recycle bin.")
        ) % {"name": name, "along": with_it}
        messages.success(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                text,
                reverse("recyclebin:bin"),
                _("Restore it from the recycle bin"),
            ),
        )
        return redirect(done_url)
    refusal = None
    if check is not None:
        try:
            check()
        except ApplicationError as exc:
            refusal = exc.message
    return render(
        request,
        "recyclebin/confirm_delete.html",
        {
            "record": record,
            "name": name,
            "type_label": type_label(record._meta.label_lower),
            "along": along_text(along_counts(along)),
            "refusal": refusal,
            "days": settings.RECYCLE_BIN_DAYS,
            "cancel_url": cancel_url,
        },
    )
