"""``make bench``: the pipeline's figures on PostgreSQL and Redis, each beside a baseline.

Run as ``python -m bench``. It recreates its own database (``ewers_bench``), seeds a
realistic volume, then measures API ingest, scoring by a real Celery worker and the
commit → alert latency, each next to a baseline taken in the same run, so the ratios
hold on a noisy machine. Timing lives here, never in the test suite's assertions.

Nothing in this package is imported by the product.
"""
