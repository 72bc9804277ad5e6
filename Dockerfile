FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN useradd --create-home --uid 1000 kopra
COPY pyproject.toml README.md ./
COPY kopra ./kopra
COPY billers ./billers
COPY quota ./quota
COPY reminders ./reminders
COPY notifications ./notifications
COPY livin ./livin
COPY templates ./templates
COPY locale ./locale
COPY manage.py Procfile ./
RUN pip install . && mkdir -p /app/var && chown kopra /app/var
# collectstatic needs settings but no secrets of the real deployment.
RUN KOPRA_VAR_DIR=/app/var python manage.py collectstatic --noinput --verbosity 0 && chown -R kopra /app/var
USER kopra
EXPOSE 8000
CMD ["gunicorn", "kopra.wsgi:application", "--config", "kopra/gunicorn.conf.py"]
