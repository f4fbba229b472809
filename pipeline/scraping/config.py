"""What a Source's `config` may hold for each kind, and where its listing lives.

    greenhouse  {"board": "acme"}            GET {base}/v1/boards/acme/jobs?content=true
    lever       {"site": "acme"}             GET {base}/v0/postings/acme?mode=json
    ashby       {"board": "acme"}            GET {base}/posting-api/job-board/acme?includeCompensation=true
    jsonld      {"start_urls": [...], "sitemap_urls": [...], "allow": [regex], "follow": [regex]}

Every kind also takes "base_url" (the API's or site's root, instead of the setting; the demo and
the tests point it at a local server) and "company" (the employer's name, for postings that do
not name one when the source has no company). A JSON-LD source reads its start pages and the
pages its sitemaps list; from any page it reads links matching an `allow` pattern as postings
and links matching a `follow` pattern as more listing pages. Pure: no database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

BOARD_KINDS = ("greenhouse", "lever", "ashby")
KINDS = ("jsonld", *BOARD_KINDS)
COMMON_KEYS = ("base_url", "company")
KIND_KEYS = {
    "greenhouse": ("board",),
    "lever": ("site", "board"),  # "board" is accepted for lever too, like the other boards
    "ashby": ("board",),
    "jsonld": ("start_urls", "sitemap_urls", "allow", "follow", "max_pages"),
}
_BOARD_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


def _is_http_url(value: Any) -> bool:
    if not isinstance(value, str) or not value.strip():
        return False
    parts = urlsplit(value.strip())
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _url_list(config: Mapping[str, Any], key: str, errors: list[str]) -> list[str]:
    value = config.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        errors.append(f'"{key}" must be a list of http(s) URLs.')
        return []
    bad = [repr(url) for url in value if not _is_http_url(url)]
    if bad:
        errors.append(f'"{key}" holds values that are not http(s) URLs: {", ".join(bad[:3])}.')
    return [url.strip() for url in value if _is_http_url(url)]


def _pattern_list(config: Mapping[str, Any], key: str, errors: list[str]) -> list[str]:
    value = config.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        errors.append(f'"{key}" must be a list of regular expressions (strings).')
        return []
    for pattern in value:
        try:
            re.compile(pattern)
        except re.error as exc:
            errors.append(f'"{key}" pattern {pattern!r} is not a valid regular expression: {exc}.')
    return list(value)


def source_config_validate(*, kind: str, config: Any) -> dict[str, Any]:
    """Return the cleaned config of a source of `kind`, or raise ValidationError({"config": [...]})
    with one readable message per problem."""
    if kind not in KINDS:
        raise ValidationError({"kind": [f"Unknown source kind {kind!r}."]})
    if not isinstance(config, dict):
        raise ValidationError({"config": ["The config must be a JSON object, e.g. {}."]})
    errors: list[str] = []
    allowed = (*COMMON_KEYS, *KIND_KEYS[kind])
    unknown = sorted(set(config) - set(allowed))
    if unknown:
        errors.append(
            f"Unknown key(s) for a {kind} source: {', '.join(unknown)}. "
            f"Allowed: {', '.join(allowed)}."
        )
    cleaned: dict[str, Any] = {}
    if "base_url" in config:
        if _is_http_url(config["base_url"]):
            cleaned["base_url"] = config["base_url"].strip().rstrip("/")
        else:
            errors.append('"base_url" must be an http(s) URL such as "http://127.0.0.1:8000".')
    if "company" in config:
        if isinstance(config["company"], str) and config["company"].strip():
            cleaned["company"] = config["company"].strip()
        else:
            errors.append('"company" must be the employer\'s name (text).')
    if kind in BOARD_KINDS:
        key = "site" if kind == "lever" else "board"
        name = config.get(key, config.get("board") if kind == "lever" else None)
        if name is None:
            example = '{"site": "acme"}' if kind == "lever" else '{"board": "acme"}'
            errors.append(f'A {kind} source needs "{key}", the board\'s name: e.g. {example}.')
        elif not isinstance(name, str) or not _BOARD_NAME.match(name.strip()):
            errors.append(
                f'"{key}" must be a board name of letters, digits, ".", "_" or "-", not {name!r}.'
            )
        else:
            cleaned[key] = name.strip()
    else:
        cleaned["start_urls"] = _url_list(config, "start_urls", errors)
        cleaned["sitemap_urls"] = _url_list(config, "sitemap_urls", errors)
        cleaned["allow"] = _pattern_list(config, "allow", errors)
        cleaned["follow"] = _pattern_list(config, "follow", errors)
        if not config.get("start_urls") and not config.get("sitemap_urls"):
            errors.append(
                'A jsonld source needs "start_urls" (career or job pages) or "sitemap_urls" '
                "(sitemaps, sitemap indexes or robots.txt files), e.g. "
                '{"sitemap_urls": ["https://careers.example.com/sitemap.xml"], '
                '"allow": ["/jobs/"]}.'
            )
        if "max_pages" in config:
            max_pages = config["max_pages"]
            if isinstance(max_pages, bool) or not isinstance(max_pages, int) or max_pages < 1:
                errors.append('"max_pages" must be a whole number of 1 or more.')
            else:
                cleaned["max_pages"] = max_pages
    if errors:
        raise ValidationError({"config": errors})
    return cleaned


def base_url(*, kind: str, config: Mapping[str, Any]) -> str:
    if config.get("base_url"):
        return str(config["base_url"]).rstrip("/")
    return {
        "greenhouse": settings.SCRAPE_GREENHOUSE_BASE_URL,
        "lever": settings.SCRAPE_LEVER_BASE_URL,
        "ashby": settings.SCRAPE_ASHBY_BASE_URL,
    }[kind].rstrip("/")


def listing_url(*, kind: str, config: Mapping[str, Any]) -> str:
    """The URL of a board's whole listing (board kinds only), from a cleaned config."""
    root = base_url(kind=kind, config=config)
    if kind == "greenhouse":
        return f"{root}/v1/boards/{quote(config['board'])}/jobs?content=true"
    if kind == "lever":
        return f"{root}/v0/postings/{quote(config['site'])}?mode=json"
    if kind == "ashby":
        return f"{root}/posting-api/job-board/{quote(config['board'])}?includeCompensation=true"
    raise ValueError(f"a {kind} source has no single listing URL")
