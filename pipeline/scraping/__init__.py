"""Reading job postings from the web: pages, boards and their feeds.

- `config.py`: what a Source's config holds per kind, validated with readable messages.
- `spiders.py`: Scrapy spiders (thin) yielding `items.py` events; `middlewares.py`: retries with
  backoff, a robots.txt fix, redirect loops that fail instead of vanishing; `pipelines.py`: the
  item pipeline into `pipeline/ingest.py`.
- `formats.py`: each source format into one normalised posting dict (pure functions);
  `postings.py`: the JobPosting of an HTML page; `sanitise.py`: safe description HTML;
  `dedup.py`: canonical URLs, fingerprints and MinHash signatures.
- `crawl.py`: one crawl in this process (`manage.py crawl`); `process.py`: the same in a child
  process, for workers (Twisted's reactor cannot restart).
"""
