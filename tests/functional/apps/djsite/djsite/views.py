"""Views of the Django test site: templates, a CSRF-protected form, a session counter."""
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse


def home(request):
    return render(request, "home.html", {"title": "Django under mod_wsgi_ext"})


def greet(request, name):
    return render(request, "greet.html", {"name": name, "lang": request.GET.get("lang", "en")})


def form(request):
    if request.method == "POST":
        message = request.POST.get("message", "")
        return render(request, "thanks.html", {"message": message})
    return render(request, "form.html")


def counter(request):
    if request.GET.get("reset"):
        request.session.flush()
        return redirect(reverse("counter"))
    request.session["n"] = request.session.get("n", 0) + 1
    return HttpResponse("count=%d" % request.session["n"], content_type="text/plain")


def environ(request):
    keys = ("SCRIPT_NAME", "PATH_INFO", "REQUEST_METHOD", "QUERY_STRING", "wsgi.url_scheme",
            "mod_wsgi.application_group")
    return JsonResponse({k: request.META.get(k) for k in keys}
                        | {"build_absolute_uri": request.build_absolute_uri()})


def boom(request):
    raise ValueError("a view that fails")
