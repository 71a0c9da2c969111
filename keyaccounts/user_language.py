"""A person's language: chosen with the language switch, kept on their user
(`User.language`) for their emails and for browsers that have not chosen one yet.

The switch is Django's `set_language` (a cookie for this browser); signed in, it also
saves the choice on the user. `UserLanguageMiddleware` (after authentication) then uses
the saved language where the request carries no language cookie: a new phone or browser
opens in the language the person reads, not the one its settings guess."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.utils import translation
from django.views.i18n import set_language


@login_not_required  # the switch is on the login page too, before anyone is signed in
def set_language_view(request):
    response = set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    if (
        request.method == "POST"
        and user.is_authenticated
        and language in dict(settings.LANGUAGES)
        and user.language != language
    ):
        # A preference, not a record: no history version for it.
        get_user_model().objects.filter(pk=user.pk).update(language=language)
        user.language = language
    return response


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            user = getattr(request, "user", None)
            language = getattr(user, "language", "") if user is not None else ""
            if language and user.is_authenticated:
                translation.activate(language)
                request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
