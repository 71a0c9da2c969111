"""Settings for the benchmark: the project's, with DEBUG off and nothing else changed.

DEBUG off matters: with it on, Django keeps and formats every query it runs (the seed's
bulk inserts included) and the numbers would measure that. The development-only bits
that DEBUG off would turn on (HTTPS redirects, secure cookies, the hashed static
manifest, which needs collectstatic) stay as in development, so the test client's
requests are served like a development server's but without the debug overhead.
Select with DJANGO_SETTINGS_MODULE=bench.settings (bench/scoring_bench.py does).
"""

from keyaccounts.settings import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# A page that fails is reported in the results table, without the traceback.
LOGGING["loggers"]["django.request"] = {"level": "CRITICAL"}  # noqa: F405
