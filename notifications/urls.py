from django.urls import path

from notifications import views

urlpatterns = [
    path("company/callbacks/", views.callback_settings, name="callback_settings"),
    path("company/callbacks/rotate/", views.callback_rotate, name="callback_rotate"),
    path("company/callbacks/secret/", views.callback_secret, name="callback_secret"),
    path("company/callbacks/test/", views.callback_test, name="callback_test"),
    path("company/callbacks/<int:pk>/resend/", views.callback_resend, name="callback_resend"),
]
