from django.http import HttpResponse


def ok(request):
    """The baseline every page is measured against (B0): no query and no template of
    its own, only what the middleware does for every request."""
    return HttpResponse("ok", content_type="text/plain")
