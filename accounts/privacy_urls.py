from django.urls import path

from accounts import privacy_pages

urlpatterns = [
    path("me/privacy/", privacy_pages.privacy, name="me-privacy"),
    path("me/privacy/export/", privacy_pages.privacy_export, name="me-privacy-export"),
    path("me/privacy/delete/", privacy_pages.privacy_delete, name="me-privacy-delete"),
    path("me/privacy/deleted/", privacy_pages.privacy_deleted, name="me-privacy-deleted"),
]
