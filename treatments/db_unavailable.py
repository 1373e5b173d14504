"""While the database is unreachable (a restart, a fail-over), answer 503 with Retry-After, not a 500.

Every page reads the knowledge-base version from the database, so while PostgreSQL is down nothing can be
served; the honest answer is "briefly unavailable, try again" (templates/503.html, or the API's JSON error
shape under /api/), logged once per request with the method and path only: the query string carries the
patient's clinical factors and is never logged (README, Privacy). The connection that failed is closed at the
end of the request (Django drops connections with errors), so the next request connects afresh.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader

logger = logging.getLogger(__name__)

RETRY_AFTER = 5  # seconds
MESSAGE = "The service is briefly unavailable. Please try again in a few seconds."


def unavailable_response(request):
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": MESSAGE}, status=503)
    else:
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("Database unavailable (%s): %s %s", type(exception).__name__, request.method, request.path)
        return unavailable_response(request)
