"""A merged-away account's addresses lead to the account it was merged into.

The account page redirects by itself (`views.account_detail_view`); the pages under it
(`/accounts/<id>/contacts/`, `/visits/`, `/plans/<n>/`, … of every app) answer 404 for
an account that is no longer there. On such a 404 to a GET, this middleware looks the
id up among the merged accounts the person sees and sends them to the same page of the
survivor, query string kept — what the merge page promises ("links to … lead to …").
Nothing is asked of the database unless a page under an account answered 404."""

import re

from django.http import HttpResponseRedirect

from .selectors import accounts_visible_to, merged_survivor

UNDER_AN_ACCOUNT = re.compile(r"^/accounts/(?P<pk>[0-9]{1,18})/(?P<rest>.+)$")


class MergedAccountLinksMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 404 or request.method not in ("GET", "HEAD"):
            return response
        found = UNDER_AN_ACCOUNT.match(request.path_info)
        user = getattr(request, "user", None)
        if found is None or user is None or not user.is_authenticated:
            return response
        survivor = merged_survivor(accounts_visible_to(user), found["pk"])
        if survivor is None:
            return response
        prefix = request.path.removesuffix(request.path_info)  # SCRIPT_NAME, if any
        target = f"{prefix}/accounts/{survivor.pk}/{found['rest']}"
        if query := request.META.get("QUERY_STRING"):
            target = f"{target}?{query}"
        return HttpResponseRedirect(target)
