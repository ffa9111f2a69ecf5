# Web and worker image: runtime requirements only (no torch, no transformers).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_ENV=production \
    RESONANCE_VAR_DIR=/var/lib/resonance \
    NUMBA_CACHE_DIR=/tmp/numba

RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg libsndfile1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /app resonance \
    && mkdir -p /var/lib/resonance && chown resonance /var/lib/resonance

WORKDIR /app
COPY requirements/base.txt requirements/base.txt
RUN pip install --no-cache-dir -r requirements/base.txt
COPY --chown=resonance . .
# collectstatic needs some key and a profile; the real ones come from the environment at run
# time (SIGNAL_PROFILE has no default in production: the operator chooses).
RUN SECRET_KEY=collectstatic-only-$(head -c 48 /dev/urandom | base64 | tr -d '/+=') \
    ALLOWED_HOSTS=localhost SIGNAL_PROFILE=standard python manage.py collectstatic --noinput -v0

USER resonance
EXPOSE 8000
CMD ["gunicorn", "resonance.wsgi", "--workers", "3", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
