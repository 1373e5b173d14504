"""Permissions-Policy: the app uses no powerful browser feature, so every one is switched off.

Django sets the other security headers itself (SecurityMiddleware, XFrameOptionsMiddleware, the CSP
middleware); it has no setting for this one, and a few lines replace a dependency.
"""

from django.conf import settings


def permissions_policy(get_response):
    header = ", ".join(f"{feature}=()" for feature in settings.PERMISSIONS_POLICY_DISABLED)

    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", header)
        return response

    return middleware
