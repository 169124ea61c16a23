# Production image: gunicorn serves the app, WhiteNoise its static files.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DEBUG=false

WORKDIR /app
RUN useradd --create-home --uid 1000 app

# Pango for WeasyPrint, which draws summary PDFs (prep/pdf.py); fonts to draw them with.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

# Dependencies first, so code changes reuse this layer.
COPY pyproject.toml ./
RUN pip install .

COPY . .
RUN SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost \
    FIELD_ENCRYPTION_KEYS=ZGV2ZWxvcG1lbnQtb25seS1rZXktbmV2ZXItcHJvZCE= \
    python manage.py collectstatic --no-input -v0 \
 && mkdir -p var && chown -R app:app var

USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
