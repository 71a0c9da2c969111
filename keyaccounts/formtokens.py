"""One-time tokens that make a create form's double submit create one record.

A create page renders a fresh token into its form (`form_token(request)` in the context,
`templates/includes/form_token.html` in the form). The first POST with it claims it —
an `IdempotencyKey` row of the user, method "FORM" — in the transaction that creates the
record, and stores the record's URL there; a second POST with the same token (a double
tap on a phone, a retry after a timeout, the back button) creates nothing and is sent to
that record. The back button fetches the form anew, with a new token, and the browser
puts back what was typed: `static/js/form_token.js` writes the sent token into the
page's own history entry and gives it back when Back returns to that entry, so that too
is a repeat (an entry whose form was never sent keeps its new token). Claiming inserts under
the (user, key) unique constraint, so two posts at once cannot both create: the second
waits for the first to commit, then finds its claim.
A post that fails (validation, a refusal) rolls its claim back with everything else, so
the user corrects the form and sends it again with the same token. A post without a
token (an older page, a script) is not protected but still works.
"""

import hashlib
import json
import re
import uuid
from collections.abc import Callable

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from keyaccounts.models import IdempotencyKey

FIELD_NAME = "form_token"
METHOD = "FORM"
# What the page renders: a UUID. Anything else is ignored, as if no token were sent.
TOKEN_PATTERN = re.compile(r"^[0-9a-f]{32}$")
# Neither is part of what the user typed: a re-rendered form gets a new CSRF token.
NOT_DATA = frozenset({FIELD_NAME, "csrfmiddlewaretoken"})


def form_token(request) -> str:
    """The token to render into a create form: the one posted, if any (a form shown
    again with its errors keeps its token), else a new one."""
    return _posted_token(request) or uuid.uuid4().hex


def _posted_token(request) -> str | None:
    if request.method != "POST":
        return None
    token = request.POST.get(FIELD_NAME, "")
    return token if TOKEN_PATTERN.match(token) else None


def _key(token: str) -> str:
    # Apart from the API's Idempotency-Keys of the same user, which share the table.
    return f"form:{token}"


def _fingerprint(request) -> str:
    """What the user sent, so a second post can tell a plain repeat from an edited form."""
    data = sorted((k, v) for k, v in request.POST.lists() if k not in NOT_DATA)
    text = f"{request.path}\n{json.dumps(data, separators=(',', ':'))}"
    return hashlib.sha256(text.encode()).hexdigest()


def _earlier(request, token: str) -> IdempotencyKey | None:
    return IdempotencyKey.objects.filter(user=request.user, key=_key(token), method=METHOD).first()


def _already_saved(request, claim: IdempotencyKey, model):
    record = model._meta.verbose_name
    if claim.request_hash == _fingerprint(request):
        messages.info(
            request, _("Already saved: this is the %(record)s you created.") % {"record": record}
        )
    else:
        messages.warning(
            request,
            _(
                "This form was already saved, so what you changed in it afterwards was not: "
                "this is the %(record)s it created. Edit it here."
            )
            % {"record": record},
        )
    return redirect(claim.path)


def already_saved(request, model):
    """The redirect to the record this POST's token already created (with a message
    saying so), or None: the token is new, or none was sent. Call it before validating
    the form: a repeat may no longer be valid (a unique name now taken by the first)."""
    token = _posted_token(request)
    claim = _earlier(request, token) if token else None
    return _already_saved(request, claim, model) if claim is not None else None


def create_once(request, model, create: Callable, *, url: Callable | None = None):
    """Run `create()` (it returns the new record) at most once per form token.

    Returns `(record, None)` when this POST created it, `(None, redirect)` when a post
    with the same token created one first (it committed while this one was validated).
    `url(record)` is where a repeat is sent, by default the record's own page. What
    `create()` raises rolls back the claim too and propagates."""
    token = _posted_token(request)
    if token is None:
        return create(), None
    with transaction.atomic():
        try:
            with transaction.atomic():
                claim = IdempotencyKey.objects.create(
                    user=request.user,
                    key=_key(token),
                    method=METHOD,
                    path="",
                    request_hash=_fingerprint(request),
                    status_code=302,
                )
        except IntegrityError:
            # Another post with this token claimed it and has committed by now.
            earlier = _earlier(request, token)
            if earlier is not None:
                return None, _already_saved(request, earlier, model)
            claim = None  # the key is an API client's: this post goes unprotected
        record = create()
        if claim is not None:
            claim.path = (url or type(record).get_absolute_url)(record)[:500]
            claim.save(update_fields=["path"])
        return record, None
