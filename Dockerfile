# The production image: web (gunicorn), worker and beat all run from it (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=partnership.settings \
    PYTHONPATH=/app \
    VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles \
    STATICFILES_STORAGE=whitenoise.storage.CompressedManifestStaticFilesStorage \
    WHITENOISE_USE_FINDERS=false

# A fixed, unprivileged user: the processes never run as root.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first, read from pyproject.toml, so this layer is rebuilt only when they change.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
# The project itself. PYTHONPATH=/app keeps the source tree (with templates/ and static/ beside the
# packages, where settings.BASE_DIR finds them) the code that runs.
RUN pip install --no-deps .

# Static files are collected, fingerprinted and compressed at build time; WhiteNoise serves them.
# Settings need no database and no secret for this: DATABASE_URL unset means the embedded Postgres,
# which collectstatic never starts or opens; the throwaway key and VAR_DIR exist only for this one command, so no
# key file is written into the image.
RUN SECRET_KEY=collectstatic-at-build-time-only DEBUG=false VAR_DIR=/tmp/build-var \
        python manage.py collectstatic --noinput -v 0 \
    && rm -rf /tmp/build-var \
    && mkdir -p /app/var \
    && chown app:app /app/var

USER app
EXPOSE 8000

# docker-compose.yml runs migrations before this for web, and celery for worker and beat. No gunicorn
# access log: it would write calendar feed tokens (they are in the path); the product's own request log
# (common/logging.py) logs every request with the token masked.
CMD ["gunicorn", "partnership.wsgi", "--bind", "0.0.0.0:8000"]
