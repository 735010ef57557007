"""The Flask peer of the Rampart board's home page, for ../../load/compare.sh.

Flask + Flask-Talisman (its default CSP plus a per-request nonce on script-src) + Flask-WTF's
CSRFProtect, SQLite through the standard library, Flask's signed-cookie session. The home page
has the board's shape: search box echoing q, the latest 50 comments (links made clickable, all
text autoescaped), the comment form with a CSRF field when logged in, a log-out form, one
stylesheet and one nonce'd inline script.

    PEER_DATA_DIR=/tmp/peer PEER_SECRET_KEY=... .venv/bin/gunicorn -c gunicorn.conf.py app:app
"""
import datetime
import os
import re
import secrets
import sqlite3
import threading

from flask import Flask, abort, flash, g, redirect, render_template, request, session
from flask_talisman import DEFAULT_CSP_POLICY, Talisman
from flask_wtf.csrf import CSRFProtect
from markupsafe import Markup, escape
from werkzeug.security import check_password_hash, generate_password_hash

DATA_DIR = os.environ.get("PEER_DATA_DIR") or os.path.join(os.path.dirname(os.path.abspath(__file__)), ".peer-data")
DATABASE = os.path.join(DATA_DIR, "peer.sqlite3")
COMMENT_LIMIT = 2000
USERNAME = re.compile(r"[a-z0-9_.-]{3,32}")

app = Flask(__name__)
app.config.update(
    SECRET_KEY=os.environ.get("PEER_SECRET_KEY") or secrets.token_hex(32),
    MAX_CONTENT_LENGTH=64 * 1024,
)

# Talisman's defaults, except HTTPS (the benchmark is plain http on loopback). Its default CSP
# has no script-src, and Talisman only appends the nonce to a directive that is present, so
# script-src 'self' is added to carry it: "default-src 'self'; object-src 'none';
# script-src 'self' 'nonce-…'".
Talisman(
    app,
    force_https=False,
    session_cookie_secure=False,
    content_security_policy={**DEFAULT_CSP_POLICY, "script-src": "'self'"},
    content_security_policy_nonce_in=["script-src"],
)
CSRFProtect(app)

# One connection per thread, kept for the thread's life (gthread threads are long-lived), as
# the board keeps its SQLite connections open.
_local = threading.local()


def db():
    connection = getattr(_local, "connection", None)
    if connection is None:
        connection = sqlite3.connect(DATABASE, timeout=10, check_same_thread=True)
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA busy_timeout = 10000")
        _local.connection = connection
    return connection


def init_db():
    os.makedirs(DATA_DIR, exist_ok=True)
    connection = sqlite3.connect(DATABASE, timeout=10)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.executescript("""
            CREATE TABLE IF NOT EXISTS users (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                username TEXT NOT NULL UNIQUE,
                password_hash TEXT NOT NULL
            );
            CREATE TABLE IF NOT EXISTS comments (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                username TEXT NOT NULL,
                body TEXT NOT NULL,
                created_at INTEGER NOT NULL
            );
        """)
        connection.commit()
    finally:
        connection.close()


init_db()


# Links: the same rule as the board's LinkText (http(s):// up to whitespace, <, > or ", without
# trailing sentence punctuation), everything escaped.
LINK = re.compile(r"https?://[^\s<>\"]*")
TRAILING = ".,;:!?)]}'"


@app.template_filter("linkify")
def linkify(text):
    out = []
    position = 0
    for match in LINK.finditer(text):
        link = match.group(0).rstrip(TRAILING)
        if len(link) <= len("https://"):
            continue
        out.append(escape(text[position:match.start()]))
        out.append(Markup('<a href="{0}" rel="nofollow noopener noreferrer ugc">{0}</a>').format(link))
        position = match.start() + len(link)
    out.append(escape(text[position:]))
    return Markup("").join(out)


def current_user():
    user_id = session.get("user_id")
    if user_id is None:
        return None
    return db().execute("SELECT id, username FROM users WHERE id = ?", (user_id,)).fetchone()


def comment_values(row):
    moment = datetime.datetime.fromtimestamp(row["created_at"], tz=datetime.timezone.utc)
    return {
        "id": row["id"],
        "username": row["username"],
        "body": row["body"],
        "iso": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "when": moment.strftime("%Y-%m-%d %H:%M:%S"),
    }


@app.get("/")
def home():
    user = current_user()
    q = request.args.get("q", "")[:200]
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = db().execute(
            "SELECT id, username, body, created_at FROM comments WHERE body LIKE ? ESCAPE '\\' ORDER BY id DESC LIMIT 50",
            (pattern,)).fetchall()
    else:
        rows = db().execute("SELECT id, username, body, created_at FROM comments ORDER BY id DESC LIMIT 50").fetchall()
    return render_template("home.html", title=f"Search: {q}" if q else "Home", user=user, q=q,
                           comments=[comment_values(row) for row in rows])


def credentials():
    return request.form.get("username", ""), request.form.get("password", "")


@app.route("/register", methods=["GET", "POST"])
def register():
    if request.method == "GET":
        return render_template("register.html", title="Register", user=current_user(), username="")
    raw, password = credentials()
    username = raw.lower()
    if not USERNAME.fullmatch(username):
        return render_template("register.html", title="Register", user=None, username=raw,
                               problem="User names are 3 to 32 of a–z, 0–9, _ . and -."), 400
    if not 8 <= len(password.encode()) <= 72:
        return render_template("register.html", title="Register", user=None, username=raw,
                               problem="Passwords are 8 to 72 bytes."), 400
    try:
        with db():
            cursor = db().execute("INSERT INTO users (username, password_hash) VALUES (?, ?)",
                                  (username, generate_password_hash(password)))
    except sqlite3.IntegrityError:
        return render_template("register.html", title="Register", user=None, username=raw,
                               problem="That name is taken."), 409
    session.clear()
    session["user_id"] = cursor.lastrowid
    flash(f"Welcome, {username}.")
    return redirect("/", code=303)


@app.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("login.html", title="Log in", user=current_user(), username="")
    raw, password = credentials()
    row = db().execute("SELECT id, password_hash FROM users WHERE username = ?", (raw.lower(),)).fetchone()
    if row is None or not check_password_hash(row["password_hash"], password):
        return render_template("login.html", title="Log in", user=None, username=raw,
                               problem="Wrong user name or password."), 401
    session.clear()
    session["user_id"] = row["id"]
    return redirect("/", code=303)


@app.post("/logout")
def logout():
    session.clear()
    return redirect("/", code=303)


@app.post("/comments")
def post_comment():
    user = current_user()
    if user is None:
        abort(401)
    body = request.form.get("body", "")
    if not body.strip() or len(body) > COMMENT_LIMIT:
        abort(400)
    with db():
        db().execute("INSERT INTO comments (username, body, created_at) VALUES (?, ?, ?)",
                     (user["username"], body, int(datetime.datetime.now(datetime.timezone.utc).timestamp())))
    return redirect("/", code=303)


@app.get("/healthz")
def healthz():
    return "ok"
