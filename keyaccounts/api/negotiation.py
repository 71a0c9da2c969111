"""The API answers JSON only. DRF's negotiation answers a `?format=` it has no renderer for
(`?format=xml`, `?format=csv`) with 404, "Not found.", which tells a client the record is
missing when it is the format that is: here it is 406, naming the format asked for and the
one offered, in the API's one error shape (`keyaccounts.api.exceptions`). A type the
`Accept` header refuses (`q=0`) is not answered either."""

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation


def _refused(media_range: str) -> bool:
    """A media range the client refuses: `q=0` (RFC 9110, 12.4.2)."""
    for parameter in media_range.split(";")[1:]:
        name, _sep, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value.strip()) == 0
            except ValueError:
                return False
    return False


class ContentNegotiation(DefaultContentNegotiation):
    def get_accept_list(self, request):
        # DRF reads no quality: `application/json;q=0` ("anything but JSON") got JSON.
        return [media for media in super().get_accept_list(request) if not _refused(media)]

    def select_renderer(self, request, renderers, format_suffix=None):
        # A suffix of the path (`/accounts/1.xml`, `/accounts/1.5/`) is part of the address:
        # one that names no format is no address of the API, 404 as DRF answers.
        self._asked_in_path = format_suffix is not None
        return super().select_renderer(request, renderers, format_suffix)

    def filter_renderers(self, renderers, format):
        offered = [renderer for renderer in renderers if renderer.format == format]
        if not offered and not self._asked_in_path:
            raise exceptions.NotAcceptable(
                _("The format “%(format)s” is not offered: this API answers %(offered)s.")
                % {
                    "format": format,
                    "offered": ", ".join(sorted({f"format={r.format}" for r in renderers})),
                }
            )
        return super().filter_renderers(renderers, format)
