from django.shortcuts import render
from django.urls import path


def page(request):
    items = [{"id": i, "name": "item %d" % i, "price": i * 1.25} for i in range(20)]
    return render(request, "page.html", {"title": "Benchmark", "items": items})


urlpatterns = [path("", page)]
