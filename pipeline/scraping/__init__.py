"""Reading job postings from the web: pages, boards and their feeds."""
