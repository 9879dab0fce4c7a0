# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 1000 ewers

COPY requirements.txt constraints.txt ./
RUN pip install -r requirements.txt -c constraints.txt

COPY . .
# Static files are collected at build time; the build-only values never reach a container.
RUN mkdir -p var && DEBUG=false SECRET_KEY=build-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz \
    FIELD_ENCRYPTION_SALT=build-only ALLOWED_HOSTS=build.invalid DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    python manage.py collectstatic --noinput \
    && python manage.py translations_compile \
    && chown -R ewers:ewers var

USER ewers
EXPOSE 8000
# Threaded workers and their timeouts: gunicorn.conf.py (docs/operations.md).
CMD ["gunicorn", "--config", "gunicorn.conf.py", "config.wsgi:application"]
