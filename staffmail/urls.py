from django.urls import path

from staffmail import views

urlpatterns = [
    path("account/mail/", views.mail_preferences, name="mail_preferences"),
]
