# The production image: gunicorn serves the site; the same image runs the Celery worker, beat
# and the one-shot migration (see docker-compose.yml). Dependencies come from the lock only.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=glo_act.settings

WORKDIR /app

# libmagic tells an uploaded file's type from its content (evidence/services.py); WeasyPrint
# (the case file's PDF, cases/views/case_file.py) lays text out with Pango and HarfBuzz, and
# DejaVu gives it fonts the slim image lacks.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmagic1 \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# Every pinned version with its hashes: two builds install the same bytes.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home glo_act \
    && mkdir -p /app/var/beat \
    && chown -R glo_act:glo_act /app/var

COPY manage.py ./
COPY glo_act ./glo_act
COPY liaison_offices ./liaison_offices
COPY cases ./cases
COPY victims ./victims
COPY accounts ./accounts
COPY evidence ./evidence
COPY audit ./audit
COPY people ./people
COPY templates ./templates
# The compiled translation catalogues are committed (docs/i18n.md): no gettext in the image.
COPY locale ./locale
COPY static ./static

# Static files are hashed and compressed at build time. Settings refuse the public development
# keys when DEBUG is off, so this one step gets throwaway values that never reach the image's
# environment; the running containers get theirs from docker-compose.yml.
RUN DEBUG=0 \
    SECRET_KEY=collectstatic-only-not-a-secret-0123456789-abcdefghijklmnop \
    FIELD_ENCRYPTION_KEY=Y29sbGVjdHN0YXRpYy1vbmx5LW5vdC1hLXNlY3JldCE= \
    BLIND_INDEX_KEY=collectstatic-only-not-a-secret \
    CLAMD_ADDRESS=tcp://clamav:3310 \
    python manage.py collectstatic --no-input

USER glo_act
EXPOSE 8000

CMD ["gunicorn", "glo_act.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
