"""The back office for applications: the jobs list and pipeline board, applications,
hiring (interviews, scorecards, offers, notes) and email templates. Importing the package
registers them all."""

from applications.admin import applications, board, emails, hiring  # noqa: F401
