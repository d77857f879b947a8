"""The ASGI/WSGI app uvicorn and gunicorn workers import (written by lode-container)."""
from lode_etl import load_class

server = load_class()()
app = server.app
