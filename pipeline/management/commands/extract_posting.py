import json

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from jobs.selectors import skill_taxonomy
from pipeline.demo import SKILLS
from pipeline.normalize import Taxonomy, posting_normalise, taxonomy_build
from pipeline.scraping.postings import (
    FETCH_TIMEOUT,
    MAX_PAGE_BYTES,
    PageTooLarge,
    PageUnreadable,
    PostingNotFound,
    page_load,
    posting_find,
)


class Command(BaseCommand):
    help = (
        "Print the schema.org JobPosting of one page (a file or an http(s) URL) as normalised "
        "JSON. Exit 1 when the page has no posting or is skipped, 2 when it cannot be read."
    )
    # A read-only tool: system check warnings would only add noise to its stderr.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("source", metavar="PATH_OR_URL")
        parser.add_argument("--url", help="The page's address, when PATH_OR_URL is a file.")
        parser.add_argument("--max-bytes", type=int, default=MAX_PAGE_BYTES)
        parser.add_argument("--timeout", type=float, default=FETCH_TIMEOUT, help="Seconds.")

    def handle(self, *args, source, url, max_bytes, timeout, **options):
        try:
            page = page_load(source, max_bytes=max_bytes, timeout=timeout)
            found = posting_find(page, max_bytes=max_bytes)
        except PageUnreadable as exc:
            raise CommandError(str(exc), returncode=2) from exc
        except (PageTooLarge, PostingNotFound) as exc:
            raise CommandError(str(exc), returncode=1) from exc
        for note in found.notes:
            self.stderr.write(f"note: {note}")
        posting = posting_normalise(
            found.data,
            taxonomy=self._taxonomy(),
            url=url or found.url,
            fallback_description=found.page_description,
        )
        self.stdout.write(json.dumps(posting, ensure_ascii=False, indent=2))

    def _taxonomy(self) -> Taxonomy:
        """The jobs.Skill taxonomy, or the built-in demo list when the database is empty or
        unreachable (the command works on a laptop with no server running)."""
        try:
            entries = [(name, aliases) for _slug, name, aliases in skill_taxonomy()]
        except DatabaseError:
            self.stderr.write("note: database unreachable; using the built-in skill list")
            entries = []
        if not entries:
            entries = [(name, aliases) for name, _slug, _category, aliases in SKILLS]
        return taxonomy_build(entries)
