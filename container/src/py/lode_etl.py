"""Starts an init_class or init code ETL under lode's process runner (written by lode-container).

init_class: the ETLServer subclass is unpickled from ETL_CLASS_PAYLOAD, as the
aistorage/runtime_python image's bootstrap.py does. Init code: a FastAPIServer subclass
calls the user's function (LODE_ETL_TRANSFORM in lode_user_code.py). FastAPI servers run
under uvicorn and Flask servers under gunicorn (NUM_WORKERS workers, default 6, like the
image); others (HTTPMultiThreadedServer) run in this process. All listen on $LODE_ETL_HOST:$PORT
(127.0.0.1 unless a Kubernetes pod's bootstrap, lode_pod_boot.py, says otherwise).
"""
import base64
import os
import sys

WS_FLAGS = ["--ws-max-size", "17179869184", "--ws-ping-interval", "0", "--ws-ping-timeout", "86400"]


def _chunks(data, size):
    if isinstance(data, str):
        with open(data, "rb") as f:
            while True:
                block = f.read(size)
                if not block:
                    return
                yield block
    for i in range(0, len(data), size):
        yield data[i : i + size]


def _code_class():
    import importlib
    from urllib.parse import quote
    from aistore.sdk.etl.webserver.fastapi_server import FastAPIServer

    func = getattr(importlib.import_module("lode_user_code"), os.environ["LODE_ETL_TRANSFORM"])
    argument = os.environ.get("LODE_ETL_ARGUMENT", "")
    chunk = int(os.environ.get("LODE_ETL_CHUNK_SIZE") or "0")

    class CodeServer(FastAPIServer):
        def transform(self, data, path, etl_args):
            if argument == "url":
                return func(self.host_target + "/" + quote(path, safe="@"))
            if chunk > 0:
                return func(_chunks(data, chunk))
            return func(data)

    return CodeServer


def load_class():
    payload = os.environ.get("ETL_CLASS_PAYLOAD")
    if payload:
        import cloudpickle

        return cloudpickle.loads(base64.b64decode(payload))
    return _code_class()


def main():
    cls = load_class()
    from aistore.sdk.etl.webserver.fastapi_server import FastAPIServer
    from aistore.sdk.etl.webserver.flask_server import FlaskServer

    port = os.environ["PORT"]
    host = os.environ.get("LODE_ETL_HOST") or "127.0.0.1"
    workers = os.environ.get("NUM_WORKERS") or "6"
    if issubclass(cls, FastAPIServer):
        argv = ["-m", "uvicorn", "lode_etl_app:app", "--host", host, "--port", port]
        argv += ["--workers", workers, *WS_FLAGS]
    elif issubclass(cls, FlaskServer):
        argv = ["-m", "gunicorn", "lode_etl_app:app", "--bind", host + ":" + port, "--workers", workers]
    else:
        server = cls()
        server.host, server.port = host, int(port)
        server.start()
        return
    sys.stdout.flush()
    os.execv(sys.executable, [sys.executable, *argv])


if __name__ == "__main__":
    main()
