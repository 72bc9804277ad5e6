"""Project-wide views: language switch, help, and error pages that never show a stack trace."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language


@require_POST
def set_language(request):
    """Switches the language, and remembers it for the signed-in user."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        from billers.services import user_set_language

        user_set_language(user=request.user, language=language)
    return response


def help_page(request):
    """What the service is, who may use it, quota, stopping, risks and contacts; readable before sign-in."""
    return render(request, "help.html")


def _wants_json(request) -> bool:
    return request.path.startswith(("/snap/", "/api/", "/sandbox/api/")) or (
        "application/json" in request.headers.get("Accept", "")
    )


def _error(request, status: int, title, text):
    if _wants_json(request):
        # Integrators read errors in English whatever their Accept-Language, as API.md fixes them.
        with translation.override("en"):
            return JsonResponse({"error": str(title), "detail": str(text)}, status=status)
    return render(request, "error.html", {"status": status, "title": title, "text": text}, status=status)


def bad_request(request, exception=None):
    return _error(request, 400, _("Bad request"), _("The request could not be understood."))


def permission_denied(request, exception=None):
    return _error(request, 403, _("Not allowed"), _("Your role does not allow this page or action."))


def page_not_found(request, exception=None):
    return _error(request, 404, _("Not found"), _("There is nothing here, or it is not yours to see."))


def server_error(request):
    return _error(request, 500, _("Something went wrong"),
                  _("The error has been logged with this request's id. Please try again."))
