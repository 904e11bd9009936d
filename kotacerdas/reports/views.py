from django.http import HttpRequest, HttpResponse


def report_list(request: HttpRequest) -> HttpResponse:  # placeholder until the portal lands
    return HttpResponse(status=501)


def report_detail(request: HttpRequest, ref: str) -> HttpResponse:
    return HttpResponse(status=501)
