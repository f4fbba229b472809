from django.urls import path

from accounts import privacy_pages

urlpatterns = [
    path("me/privacy/", privacy_pages.privacy, name="me-privacy"),
    path("me/privacy/export/", privacy_pages.privacy_export, name="me-privacy-export"),
    path("me/privacy/delete/", privacy_pages.privacy_delete, name="me-privacy-delete"),
    path("me/privacy/deleted/", privacy_pages.privacy_deleted, name="me-privacy-deleted"),
    path(
        "me/privacy/retention/withdraw/",
        privacy_pages.privacy_retention_withdraw,
        name="me-privacy-retention-withdraw",
    ),
    path(
        "me/privacy/erasure-request/",
        privacy_pages.privacy_erasure_request,
        name="me-privacy-erasure-request",
    ),
]
