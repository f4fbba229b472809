"""Interviews, scorecards, offers and notes: routes in /api/v1/."""

from django.urls import path

from applications import hiring_apis as apis

urlpatterns = [
    path("interviews", apis.InterviewListApi.as_view(), name="interviews"),
    path("interviews/<int:pk>", apis.InterviewDetailApi.as_view(), name="interviews-detail"),
    path("interviews/<int:pk>/cancel", apis.InterviewCancelApi.as_view(), name="interviews-cancel"),
    path(
        "interviews/<int:pk>/scorecards",
        apis.InterviewScorecardListApi.as_view(),
        name="interviews-scorecards",
    ),
    path("scorecards", apis.ScorecardListApi.as_view(), name="scorecards"),
    path("scorecards/<int:pk>", apis.ScorecardDetailApi.as_view(), name="scorecards-detail"),
    path("offers", apis.OfferListApi.as_view(), name="offers"),
    path("offers/<int:pk>", apis.OfferDetailApi.as_view(), name="offers-detail"),
    path("offers/<int:pk>/send", apis.OfferSendApi.as_view(), name="offers-send"),
    path("offers/<int:pk>/accept", apis.OfferAcceptApi.as_view(), name="offers-accept"),
    path("offers/<int:pk>/decline", apis.OfferDeclineApi.as_view(), name="offers-decline"),
    path("offers/<int:pk>/withdraw", apis.OfferWithdrawApi.as_view(), name="offers-withdraw"),
    path("notes", apis.NoteListApi.as_view(), name="notes"),
    path("notes/<int:pk>", apis.NoteDetailApi.as_view(), name="notes-detail"),
]
