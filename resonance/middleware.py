"""Project middleware."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class SignedInPagesAreNotStored:
    """Pages for a signed-in person show their own, changing numbers (today's FlowScore, the
    latest check-in, their alerts): never keep them in a browser or shared cache, and never
    restore them from the back/forward cache after a check-in changed them. Responses that set
    their own Cache-Control (exports, static files) keep it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response
