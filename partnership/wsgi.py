import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnership.settings")
application = get_wsgi_application()

# Load the URL patterns now, then move everything loaded at start-up out of the garbage collector's
# sight: it lives as long as the process. Otherwise every full collection (every few seconds under
# load) walks those ~200,000 objects again and pauses the worker for 130-260 ms.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018  (the attribute compiles every pattern)
gc.freeze()
