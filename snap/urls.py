"""Open API routes: the token endpoint, and the console pages of the credentials."""

from django.urls import path

from snap import views
from snap.pipeline import AccessTokenView

urlpatterns = [
    path("snap/v1.0/access-token/b2b", AccessTokenView.as_view(), name="snap_access_token"),
    path("company/api-credentials/", views.credential_list, name="credential_list"),
    path("company/api-credentials/new/", views.credential_create, name="credential_create"),
    path("company/api-credentials/secret/", views.credential_secret, name="credential_secret"),
    path("company/api-credentials/<int:pk>/", views.credential_edit, name="credential_edit"),
    path("company/api-credentials/<int:pk>/rotate/", views.credential_rotate, name="credential_rotate"),
    path("company/api-credentials/<int:pk>/revoke/", views.credential_revoke, name="credential_revoke"),
]
