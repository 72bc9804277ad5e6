from django.urls import path

from billers import views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code/", views.login_otp_view, name="login_otp"),
    path("logout/", views.logout_view, name="logout"),
    path("account/password/", views.password_change, name="password_change"),
    path("company/users/", views.users_list, name="users_list"),
    path("company/users/new/", views.user_create, name="user_create"),
    path("company/users/<int:pk>/", views.user_edit, name="user_edit"),
    path("company/users/<int:pk>/active/", views.user_set_active, name="user_set_active"),
    path("company/users/<int:pk>/password/", views.user_reset_password, name="user_reset_password"),
    path("company/users/<int:pk>/two-factor/", views.user_reset_two_factor, name="user_reset_two_factor"),
    path("company/settings/", views.company_settings, name="company_settings"),
    path("company/audit/", views.audit_log, name="audit_log"),
]

from billers import registration_views  # noqa: E402

urlpatterns += [
    path("codes/", registration_views.biller_codes, name="biller_codes"),
    path("codes/<int:pk>/register/", registration_views.registration_create, name="registration_create"),
    path("codes/registrations/<int:pk>/stop/", registration_views.service_stop_request, name="service_stop_request"),
    path("codes/registrations/<int:pk>/resume/", registration_views.service_resume_request,
         name="service_resume_request"),
    path("codes/requests/<int:pk>/approve/", registration_views.service_change_approve,
         name="service_change_approve"),
    path("codes/requests/<int:pk>/reject/", registration_views.service_change_reject, name="service_change_reject"),
    path("codes/requests/<int:pk>/cancel/", registration_views.service_change_cancel, name="service_change_cancel"),
]
