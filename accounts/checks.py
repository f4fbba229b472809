"""Deployment checks of our own, run by `manage.py check --deploy`."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def anymail_webhooks_need_a_secret(app_configs, **kwargs):
    """Without a secret anyone could post bounces and suppress any address."""
    if settings.ANYMAIL.get("WEBHOOK_SECRET"):
        return []
    return [
        Warning(
            "ANYMAIL_WEBHOOK_SECRET is not set: the email provider's delivery webhooks under "
            "/anymail/ accept anyone's events.",
            hint='Set ANYMAIL_WEBHOOK_SECRET="user:password" and give the same basic-auth '
            "credentials to the provider's webhook settings.",
            id="accounts.W001",
        )
    ]
