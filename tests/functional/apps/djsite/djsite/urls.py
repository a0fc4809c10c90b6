from django.urls import path

from djsite import views

urlpatterns = [
    path("", views.home, name="home"),
    path("greet/<str:name>/", views.greet, name="greet"),
    path("form/", views.form, name="form"),
    path("counter/", views.counter, name="counter"),
    path("environ/", views.environ, name="environ"),
    path("boom/", views.boom, name="boom"),
]
