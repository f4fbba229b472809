from django.urls import path

from applications import views

app_name = "applications"

urlpatterns = [
    path("documents/upload", views.document_upload, name="document-upload"),
    path("documents/<int:pk>/download", views.document_download, name="document-download"),
]
