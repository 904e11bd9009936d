from django.http import HttpRequest, HttpResponse


def lockout_response(request: HttpRequest, credentials: dict | None = None, *args, **kwargs) -> HttpResponse:  # noqa: ANN002, ANN003
    from kotacerdas.core.errors import error_response

    return error_response(429, "auth.locked", "locked")
