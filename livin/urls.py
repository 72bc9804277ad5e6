from django.urls import path

from livin import views

urlpatterns = [
    path("sandbox/pay/", views.sandbox_pay, name="sandbox_pay"),
]
