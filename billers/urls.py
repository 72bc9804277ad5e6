from django.urls import path

from billers import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("login/code/", views.login_otp_view, name="login_otp"),
    path("logout/", views.logout_view, name="logout"),
    path("company/users/", views.users_list, name="users_list"),
    path("company/users/new/", views.user_create, name="user_create"),
    path("company/users/<int:pk>/", views.user_edit, name="user_edit"),
    path("company/users/<int:pk>/active/", views.user_set_active, name="user_set_active"),
    path("company/users/<int:pk>/password/", views.user_reset_password, name="user_reset_password"),
    path("company/users/<int:pk>/two-factor/", views.user_reset_two_factor, name="user_reset_two_factor"),
    path("company/settings/", views.company_settings, name="company_settings"),
    path("company/audit/", views.audit_log, name="audit_log"),
]
