"""`python manage.py bench`: push latency, counter-to-phone latency and sustained settlements per second.

Modules: ``stats`` (percentiles), ``stores`` (the dedicated database and Redis databases), ``processes``
(the uvicorn server and the Celery worker), ``people`` (bulk citizens with sessions), ``sockets`` (the
websocket clients), ``measure`` (the three measurements), ``extra`` (the hook for later figures, such as
voice synthesis), ``report`` (the table and the JSON) and ``runner`` (all of it in order).
"""
