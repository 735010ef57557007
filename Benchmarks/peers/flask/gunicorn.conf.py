# gunicorn settings for the Flask peer: 2 workers x 4 threads (gthread) on loopback.
#   PEER_PORT         the port (default 5056)
#   PEER_DATA_DIR     the data directory: peer.sqlite3 and gunicorn-error.log (default ./.peer-data)
#   PEER_SECRET_KEY   Flask's SECRET_KEY; if unset, one is made here, in the master, so that
#                     both workers share it (cookies then last until the server stops)
import os
import secrets

_data_dir = os.environ.setdefault("PEER_DATA_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), ".peer-data"))
os.makedirs(_data_dir, exist_ok=True)
if not os.environ.get("PEER_SECRET_KEY"):
    os.environ["PEER_SECRET_KEY"] = secrets.token_hex(32)

bind = "127.0.0.1:" + os.environ.get("PEER_PORT", "5056")
workers = 2
worker_class = "gthread"
threads = 4
accesslog = None
errorlog = os.path.join(_data_dir, "gunicorn-error.log")
loglevel = "warning"
# Loaded in each worker (no preload): the app opens its SQLite connections after the fork.
preload_app = False
