"""Ends a console session 12 hours after login, however active it was.

The 30-minute idle limit is Django's own (``SESSION_COOKIE_AGE`` with
``SESSION_SAVE_EVERY_REQUEST``); this adds the absolute limit on top.
"""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

LOGIN_AT_KEY = "kopra_login_at"


@receiver(user_logged_in)
def _remember_login_time(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT_KEY] = int(time.time())


class SessionLifetimeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            login_at = request.session.get(LOGIN_AT_KEY)
            if login_at is None or time.time() - login_at > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
        return self.get_response(request)
