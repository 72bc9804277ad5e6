from django.urls import path

from livin import views

urlpatterns = [
    path("sandbox/pay/", views.sandbox_pay, name="sandbox_pay"),
]

from livin import api, payer_views  # noqa: E402

urlpatterns += [
    path("sandbox/livin/", payer_views.phones, name="livin_phones"),
    path("sandbox/livin/<str:phone>/", payer_views.phone, name="livin_phone"),
    path("sandbox/livin/<str:phone>/pay/<str:reference>/", payer_views.pay, name="livin_pay"),
    path("sandbox/api/livin/lookup", api.lookup, name="livin_api_lookup"),
    path("sandbox/api/livin/push", api.push, name="livin_api_push"),
    path("sandbox/api/livin/withdraw", api.withdraw, name="livin_api_withdraw"),
]
