"""newsflow: a Kafka stream-processing pipeline for incoming news.

Articles on ``news.articles.raw`` are normalized, tagged with entities and checked for
sanctions-relevant events; alerts go to ``news.alerts.sanctions`` and its per-country topics.
"""

__version__ = "0.1.0"
