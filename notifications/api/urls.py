from django.urls import path

from notifications.api import views

urlpatterns = [
    path("snap/v1.0/bill-reminder/callbacks/list", views.CallbackListView.as_view(), name="snap_callback_list"),
    path("snap/v1.0/bill-reminder/callbacks/test", views.CallbackTestView.as_view(), name="snap_callback_test"),
]
