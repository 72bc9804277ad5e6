from django.urls import path

from reminders.api import views

urlpatterns = [
    path("snap/v1.0/bill-reminder/messages", views.MessageCreateView.as_view(), name="snap_message_create"),
    path("snap/v1.0/bill-reminder/messages/batch", views.MessageBatchCreateView.as_view(),
         name="snap_message_batch_create"),
    path("snap/v1.0/bill-reminder/messages/inquiry", views.MessageInquiryView.as_view(), name="snap_message_inquiry"),
    path("snap/v1.0/bill-reminder/messages/list", views.MessageListView.as_view(), name="snap_message_list"),
    path("snap/v1.0/bill-reminder/messages/cancel", views.MessageCancelView.as_view(), name="snap_message_cancel"),
]
