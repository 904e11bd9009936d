from django.http import HttpRequest, HttpResponse


def _todo(request: HttpRequest, **kwargs: object) -> HttpResponse:  # placeholder
    return HttpResponse(status=501)


queue = performance = catalogue = open311_clients = agenda = detail = _todo
