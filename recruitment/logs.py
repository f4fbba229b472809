"""Structured (JSON lines) logging for production; one object per record."""

import json
import logging
from datetime import UTC, datetime

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        # Values passed with `extra=` become fields of their own.
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                payload[key] = value if isinstance(value, (str, int, float, bool)) else repr(value)
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


SECURITY_LOGGER = logging.getLogger("security")


def client_ip_prefix(ip: str | None) -> str:
    """The network an address is in (/24 for IPv4, /48 for IPv6): enough to see an attack's
    shape, not enough to name a person, so security logs hold no full address."""
    import ipaddress

    if not ip:
        return ""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "invalid"
    bits = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{bits}", strict=False))


def security_event(event: str, *, request=None, **fields) -> None:
    """Log one structured security event (`security` logger, one record per event).

    `event` names it (`auth.login_failed`, `access.denied`, `webhook.signature_invalid`,
    `upload.rejected`, ...); `fields` are plain values (ids, reasons, counts). Never pass a
    token, a secret, an email address, a name or a full IP address: the request's address is
    logged as its network only, and its user as an id.
    """
    extra = {"event": event, **fields}
    if request is not None:
        extra.setdefault("path", request.path[:200])
        extra.setdefault("method", request.method)
        extra.setdefault("ip_prefix", client_ip_prefix(request.META.get("REMOTE_ADDR")))
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False) and user.pk:
            extra.setdefault("user_id", user.pk)
    SECURITY_LOGGER.warning(event, extra=extra)
