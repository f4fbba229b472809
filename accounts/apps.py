from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        from anymail.signals import inbound, tracking

        from accounts import checks, signals, views  # noqa: F401 (checks, signals register)

        # The email provider's events (delivery, bounces, complaints) and mailto unsubscribes.
        tracking.connect(views.anymail_tracking_received, dispatch_uid="accounts.mail.tracking")
        inbound.connect(views.anymail_inbound_received, dispatch_uid="accounts.mail.inbound")
