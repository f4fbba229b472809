"""The floor of the crawl benchmark: plain Scrapy fetching the pages a sitemap lists with a spider
that does nothing with them (what `scrapy bench` measures, on the crawl benchmark's own pages).

    .venv/bin/python benchmarks/_scrapy_floor.py SITEMAP_URL [--concurrency 16]

No Django, no extraction, no database: robots.txt, the sitemap, then every page, with the
crawl benchmark's concurrency and no delay or AutoThrottle. Prints the pages fetched as JSON.
`benchmarks/_crawl.py` runs it in a child process and times it from the start, as it times ours.
"""

from __future__ import annotations

import argparse
import json

from scrapy.crawler import CrawlerProcess
from scrapy.spiders import SitemapSpider


class FloorSpider(SitemapSpider):
    name = "floor"
    fetched = 0

    def parse(self, response):
        type(self).fetched += 1
        return []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sitemap_url")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    process = CrawlerProcess(
        settings={
            "ROBOTSTXT_OBEY": True,
            "AUTOTHROTTLE_ENABLED": False,
            "DOWNLOAD_DELAY": 0,
            "CONCURRENT_REQUESTS": max(16, args.concurrency),
            "CONCURRENT_REQUESTS_PER_DOMAIN": args.concurrency,
            "TELNETCONSOLE_ENABLED": False,
            "LOG_LEVEL": "WARNING",
        }
    )
    process.crawl(FloorSpider, sitemap_urls=[args.sitemap_url])
    process.start()
    print(json.dumps({"fetched": FloorSpider.fetched}))


if __name__ == "__main__":
    main()
