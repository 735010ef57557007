#!/usr/bin/env python3
"""The soak client: a mixed workload against one running `rampart serve` (soak.sh starts it).

    soak.py --base http://127.0.0.1:5077 --pid 1234 --log /tmp/.../rampart.log --seconds 60

Setup (not measured): registers --users accounts through the register form (bcrypt cost 12:
slow, so done once), posts --comments comments, then logs every signed-in worker in through the
login form, so each has its own session. Then, for --seconds, --mix workers (threads, each with
one keep-alive http.client connection) send:

    anon          GET /                      no cookie ever (gets a fresh anonymous cookie each time)
    anon_cookie   GET /                      keeps its anonymous `__Host-session` cookie (a.<id>)
    user          GET /                      signed in (the page must show the log-out form)
    form          POST /comments             form with the page's `_csrf` field and Origin, then
                                             GET / after the 303 as a browser would (counted as user)
    api_get       GET /api/comments          JSON, no cookie
    api_post      POST /api/comments         JSON with X-CSRF-Token (from the csrf-token meta tag),
                                             Origin and Sec-Fetch-Site: same-origin
    csp           POST /csp-reports          application/csp-report or application/reports+json;
                                             204 (reports past the per-client cap per minute are
                                             dropped, still 204), or 429
    css           GET /static/board.css
    export        GET /profile, then POST /profile/export with the export form's one-time `_csrf`
                  token and Origin (200, a JSON download); every 10th round replays the used
                  token, which must be refused (403)

Writers post back to back unless --post-rate paces them. Posts add comments for good: the home
page changes (a new cached rendering per viewer) and each export lists all its user's comments
(up to 10,000), so the server's working set grows with them through the run.

Meanwhile a sampler reads the server's /proc/PID/status (VmRSS with RssAnon and RssFile,
Threads) and counts /proc/PID/fd every --sample-every seconds, and at --warmup s and half a
second before the end.

It prints a markdown table per request kind (req/s, statuses, latency), the server's RSS, file
descriptors and error-level log lines, then ONE line of JSON with every figure. Exit status:
0 passed; 1 a server check failed (a 5xx, a socket error, RSS(end) not within --rss-tolerance of
RSS(--warmup s), open fds growing by more than --fd-slack, the server gone); 2 the workload went
wrong (answers the server should not give to these requests, a signed-in client signed out), so
the figures describe something else; 3 setup failed.

Standard library only. Cookies are kept by hand: http.cookiejar never sends a Secure cookie such
as __Host-session over http://, even on loopback. Every request goes to --base only (meant for
127.0.0.1); the run is bounded by --seconds.
"""
import argparse
import base64
import collections
import html
import http.client
import json
import os
import re
import sys
import threading
import time
import urllib.parse

PASSWORD = "soak-password-12345"

# The request kinds, in table order: key -> (label, expected statuses).
KINDS = {
    "anon": ("GET / (anonymous, no cookie)", {200}),
    "anon_cookie": ("GET / (anonymous, keeps its cookie)", {200}),
    "user": ("GET / (signed in)", {200}),
    "form_post": ("POST /comments (form + _csrf)", {303}),
    "api_get": ("GET /api/comments", {200}),
    "api_post": ("POST /api/comments (JSON + X-CSRF-Token)", {201}),
    "csp": ("POST /csp-reports", {204, 429}),
    "css": ("GET /static/board.css", {200}),
    "profile": ("GET /profile (signed in)", {200}),
    "export": ("POST /profile/export (one-time token)", {200}),
    "export_replay": ("POST /profile/export (replayed token)", {403}),
}

# Worker roles and how many of each by default (24 threads).
DEFAULT_MIX = "anon=3,anon_cookie=3,user=5,form=2,api_get=3,api_post=2,csp=2,css=2,export=2"
SIGNED_IN_ROLES = {"user", "form", "api_post", "export"}

# Comment texts: markup, ampersands, quotes, links and non-ASCII, so escaping and linkification
# have work to do (the same spirit as seed.py).
TEXTS = [
    "Plain text, nothing to escape here.",
    "Some <b>bold</b> claims & a <script>alert('x')</script> that must stay text.",
    "Tom & Jerry said \"hello\" and 'goodbye'.",
    "Read the docs at https://example.com/x before asking, please.",
    "Two links: https://example.com/x and http://example.com/y?a=1&b=2, then a comma.",
    "Unicode: café, naïve, 日本語, emoji 🎉.",
    "A longer comment. " * 8 + "It ends here.",
    "Multi-line\ncomment\nwith a link (https://example.com/z).",
]

# Realistic violation reports: the legacy report-uri format and the Reporting API's.
BLOCKED = ["https://evil.example/x.js", "inline", "eval", "https://cdn.example/lib.js", "data"]
DIRECTIVES = ["script-src-elem", "script-src", "style-src-elem", "img-src", "connect-src"]


def csp_report(origin, index):
    blocked, directive = BLOCKED[index % len(BLOCKED)], DIRECTIVES[index % len(DIRECTIVES)]
    if index % 4 == 3:
        body = [{
            "type": "csp-violation", "age": 12, "url": f"{origin}/", "user_agent": "Mozilla/5.0 (soak)",
            "body": {"documentURL": f"{origin}/", "referrer": "", "blockedURL": blocked,
                     "effectiveDirective": directive, "originalPolicy": "default-src 'self'; report-uri /csp-reports",
                     "sourceFile": f"{origin}/", "sample": "", "disposition": "enforce", "statusCode": 200,
                     "lineNumber": 3 + index % 7, "columnNumber": 5},
        }]
        return "application/reports+json", json.dumps(body).encode()
    body = {"csp-report": {
        "document-uri": f"{origin}/", "referrer": "", "violated-directive": directive,
        "effective-directive": directive, "original-policy": "default-src 'self'; report-uri /csp-reports",
        "disposition": "enforce", "blocked-uri": blocked, "line-number": 3 + index % 7, "column-number": 5,
        "source-file": f"{origin}/", "status-code": 200, "script-sample": "",
    }}
    return "application/csp-report", json.dumps(body).encode()


class SetupError(Exception):
    pass


# --- Per-thread statistics ----------------------------------------------------------------------

class Stats:
    """One worker's counts (merged at the end, so no locks)."""

    def __init__(self):
        self.statuses = collections.defaultdict(collections.Counter)   # kind -> status -> n
        self.latencies = collections.defaultdict(list)                 # kind -> [seconds]
        self.errors = collections.defaultdict(collections.Counter)     # kind -> error class -> n
        self.set_cookie = collections.Counter()                        # kind -> responses with Set-Cookie
        self.anomalies = collections.Counter()                         # description -> n
        self.examples = []                                             # the first few bad answers

    def merge(self, other):
        for kind, counter in other.statuses.items():
            self.statuses[kind].update(counter)
        for kind, values in other.latencies.items():
            self.latencies[kind].extend(values)
        for kind, counter in other.errors.items():
            self.errors[kind].update(counter)
        self.set_cookie.update(other.set_cookie)
        self.anomalies.update(other.anomalies)
        self.examples.extend(other.examples)

    def example(self, text):
        if len(self.examples) < 20:
            self.examples.append(text)


# --- A keep-alive client with a hand-kept cookie jar --------------------------------------------

class Client:
    """One keep-alive connection to the server and, unless keep_cookies is False, its cookies."""

    def __init__(self, args, stats, keep_cookies=True, timeout=None):
        self.args = args
        self.host, self.port, self.origin = args.host, args.port, args.origin
        self.timeout = timeout or args.timeout
        self.stats = stats
        self.keep_cookies = keep_cookies
        self.cookies = {}
        self.connection = None

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def request(self, kind, method, path, body=None, headers=None, record=True):
        """Sends one request; returns (status, headers, body bytes), or None on a socket error
        (counted, and the connection is dropped so the next request opens a new one)."""
        all_headers = {"User-Agent": "rampart-soak/1", "Accept": "text/html"}
        all_headers.update(headers or {})
        if self.keep_cookies and self.cookies:
            all_headers["Cookie"] = "; ".join(f"{n}={v}" for n, v in self.cookies.items())
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        began = time.monotonic()
        try:
            self.connection.request(method, path, body=body, headers=all_headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            if record:
                name = type(error).__name__
                self.stats.errors[kind][name] += 1
                self.stats.example(f"{kind}: {method} {path} at {began - self.args.started:.1f} s: socket error {name}: {error}")
            else:
                raise SetupError(f"{method} {path}: {type(error).__name__}: {error}") from error
            return None
        elapsed = time.monotonic() - began
        set_cookies = response.headers.get_all("Set-Cookie") or []
        if self.keep_cookies:
            for value in set_cookies:
                self.remember(value)
        if record:
            self.stats.statuses[kind][response.status] += 1
            self.stats.latencies[kind].append(elapsed)
            if set_cookies:
                self.stats.set_cookie[kind] += 1
            if response.status >= 500 or response.status not in KINDS[kind][1]:
                snippet = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", data.decode("utf-8", "replace"))).strip()[:200]
                self.stats.example(f"{kind}: {method} {path} at {began - self.args.started:.1f} s -> {response.status}: {snippet!r}")
        if response.will_close:
            self.close()
        return response.status, response.headers, data

    def remember(self, set_cookie):
        pair, _, attributes = set_cookie.partition(";")
        name, equals, value = pair.strip().partition("=")
        if not equals or not name:
            return
        attributes = attributes.lower()
        gone = re.search(r"(^|;)\s*max-age\s*=\s*(-?\d+)", attributes)
        if (gone and int(gone.group(2)) <= 0) or re.search(r"expires\s*=\s*thu, 01[ -]jan[ -]1970", attributes):
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value.strip()

    def form(self, kind, path, fields, record=True):
        body = urllib.parse.urlencode(fields).encode()
        return self.request(kind, "POST", path, body, {
            "Content-Type": "application/x-www-form-urlencoded", "Origin": self.origin}, record=record)


def session_cookie_kind(client):
    """'anonymous' (payload a.<id>), 'stored' (a session row), or None: read from the signed
    cookie's payload (v1.<keyId>.<base64url payload>.<mac>; payload = len, name, 8-byte expiry, value)."""
    value = client.cookies.get("__Host-session")
    if not value:
        return None
    parts = value.split(".")
    if len(parts) != 4 or parts[0] != "v1":
        return "unreadable"
    try:
        payload = base64.urlsafe_b64decode(parts[2] + "=" * (-len(parts[2]) % 4))
    except ValueError:
        return "unreadable"
    inner = payload[1 + payload[0] + 8:] if payload else b""
    return "anonymous" if inner.startswith(b"a.") else "stored"


def hidden_token(page, action=None):
    """The `_csrf` hidden field: in the form posting to `action` when given, else the first."""
    text = page.decode("utf-8", "replace")
    if action is not None:
        form = re.search(rf'<form\b[^>]*action="{re.escape(action)}"[^>]*>(.*?)</form>', text, re.S)
        if not form:
            return None
        text = form.group(1)
    field = re.search(r'<input\b[^>]*name="_csrf"[^>]*value="([^"]*)"', text)
    return html.unescape(field.group(1)) if field else None


def meta_token(page):
    meta = re.search(r'<meta\b[^>]*name="csrf-token"[^>]*content="([^"]*)"', page.decode("utf-8", "replace"))
    return html.unescape(meta.group(1)) if meta else None


def signed_in(page):
    return b'action="/logout"' in page


def expect(answer, statuses, what):
    if answer is None or answer[0] not in statuses:
        got = "no answer" if answer is None else answer[0]
        snippet = "" if answer is None else re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer[2].decode("utf-8", "replace")))[:200]
        raise SetupError(f"{what}: {got}, expected {sorted(statuses)} {snippet}")
    return answer


# --- Setup ----------------------------------------------------------------------------------------

def register(args, username):
    """A client signed in as a new account `username` (or, if the name is taken because the
    server was soaked before, logged in to it)."""
    client = Client(args, Stats(), timeout=60)
    _, _, page = expect(client.request("user", "GET", "/register", record=False), {200}, "GET /register")
    began = time.monotonic()
    answer = client.form("user", "/register", {"username": username, "password": PASSWORD, "_csrf": hidden_token(page)}, record=False)
    if answer is not None and answer[0] == 409:
        log(f"{username} exists: logging in instead")
        return log_in(args, username)
    expect(answer, {303}, f"POST /register {username}")
    log(f"registered {username} ({time.monotonic() - began:.2f} s)")
    return client


def log_in(args, username):
    """A new client signed in as `username` through the login form (its own session)."""
    client = Client(args, Stats(), timeout=60)
    _, _, page = expect(client.request("user", "GET", "/login", record=False), {200}, "GET /login")
    answer = client.form("user", "/login", {"username": username, "password": PASSWORD, "_csrf": hidden_token(page)}, record=False)
    expect(answer, {303}, f"POST /login {username}")
    _, _, page = expect(client.request("user", "GET", "/", record=False), {200}, "GET / after login")
    if not signed_in(page) or session_cookie_kind(client) != "stored":
        raise SetupError(f"logged in as {username}, but GET / is not signed in (cookie: {session_cookie_kind(client)})")
    client.timeout = args.timeout
    client.close()
    return client


def setup(args):
    """Registers the users, seeds comments, and signs in one client per signed-in worker."""
    usernames = [f"soak{i}" for i in range(args.users)]
    first = None
    for name in usernames:
        client = register(args, name)
        if first is None:
            first = client
        else:
            client.close()
    _, _, page = expect(first.request("user", "GET", "/", record=False), {200}, "GET / after registering")
    token = hidden_token(page)
    for index in range(args.comments):
        answer = first.form("user", "/comments", {"body": f"seed #{index + 1}: {TEXTS[index % len(TEXTS)]}", "_csrf": token}, record=False)
        expect(answer, {303}, f"seeding comment {index + 1}")
    first.close()
    log(f"posted {args.comments} comments")

    # The anonymous cookie: one GET / sets it, with an a.<id> payload (no stored row).
    probe = Client(args, Stats())
    expect(probe.request("anon", "GET", "/", record=False), {200}, "anonymous GET /")
    if session_cookie_kind(probe) != "anonymous":
        raise SetupError(f"an anonymous GET / set no anonymous session cookie ({session_cookie_kind(probe)})")
    probe.close()

    # One login per signed-in worker, two at a time (bcrypt on the server's thread pool).
    roles = [role for role, count in args.mix for _ in range(count)]
    needed = [i for i, role in enumerate(roles) if role in SIGNED_IN_ROLES]
    clients, failures = {}, []
    began = time.monotonic()

    def login_some(indices):
        try:
            for i in indices:
                clients[i] = log_in(args, usernames[i % len(usernames)])
        except SetupError as error:
            failures.append(str(error))

    threads = [threading.Thread(target=login_some, args=(needed[k::2],)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SetupError(failures[0])
    log(f"{len(needed)} signed-in sessions ({time.monotonic() - began:.1f} s of logins)")
    return roles, clients


# --- Workers --------------------------------------------------------------------------------------

class Worker(threading.Thread):
    def __init__(self, args, role, index, client, stop_at):
        super().__init__(name=f"{role}-{index}", daemon=True)
        self.args, self.role, self.index, self.stop_at = args, role, index, stop_at
        self.stats = Stats()
        if client is not None:
            client.stats = self.stats
        self.client = client or Client(args, self.stats, keep_cookies=(role == "anon_cookie"))

    def running(self):
        return time.monotonic() < self.stop_at

    def pause_after_error(self):
        time.sleep(0.05)   # no busy loop against a server that refuses connections

    def run(self):
        self.began = time.monotonic()
        getattr(self, "run_" + self.role)()
        self.client.close()

    def pace(self, n):
        """With --post-rate, waits until this writer's n-th post is due; otherwise posts go out
        back to back (and the comment count, so each export, grows fast)."""
        if self.args.post_rate > 0:
            delay = min(self.began + (n - 1) / self.args.post_rate, self.stop_at) - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def simple(self, kind, path, accept="text/html", check=None):
        while self.running():
            answer = self.client.request(kind, "GET", path, headers={"Accept": accept})
            if answer is None:
                self.pause_after_error()
            elif check is not None and answer[0] == 200:
                check(answer)

    def run_anon(self):
        self.simple("anon", "/")

    def run_anon_cookie(self):
        def check(answer):
            if session_cookie_kind(self.client) != "anonymous":
                self.stats.anomalies["anon_cookie: the cookie is not an anonymous (a.<id>) session cookie"] += 1
        self.simple("anon_cookie", "/", check=check)

    def check_signed_in(self, answer, kind):
        if answer is not None and answer[0] == 200 and not signed_in(answer[2]):
            self.stats.anomalies[f"{kind}: a signed-in client got an anonymous page"] += 1
            self.stats.example(f"{kind}: signed out at {time.monotonic() - self.args.started:.1f} s")

    def run_user(self):
        while self.running():
            answer = self.client.request("user", "GET", "/")
            if answer is None:
                self.pause_after_error()
            self.check_signed_in(answer, "user")

    def page_token(self, meta=False):
        """GET / (counted as `user`): a fresh token from the page, or None."""
        answer = self.client.request("user", "GET", "/")
        self.check_signed_in(answer, "user")
        if answer is None or answer[0] != 200:
            return None
        return meta_token(answer[2]) if meta else hidden_token(answer[2])

    def run_form(self):
        token = self.page_token()
        n = 0
        while self.running():
            if token is None:
                self.pause_after_error()
                token = self.page_token()
                continue
            n += 1
            self.pace(n)
            if not self.running():
                break
            text = f"form {self.index}.{n}: {TEXTS[n % len(TEXTS)]}"
            answer = self.client.form("form_post", "/comments", {"body": text, "_csrf": token})
            # A browser follows the 303 to / and the next post uses that page's token.
            token = self.page_token() if answer is not None and self.running() else None

    def run_api_get(self):
        def check(answer):
            if not answer[2].startswith(b"["):
                self.stats.anomalies["api_get: the body is not a JSON array"] += 1
        self.simple("api_get", "/api/comments", accept="application/json", check=check)

    def run_api_post(self):
        token = self.page_token(meta=True)
        n = 0
        while self.running():
            if token is None or (n and n % 50 == 0):   # a page load now and then, as an app would
                token = self.page_token(meta=True)
                if token is None:
                    self.pause_after_error()
                    continue
            n += 1
            self.pace(n)
            if not self.running():
                break
            body = json.dumps({"body": f"api {self.index}.{n}: {TEXTS[n % len(TEXTS)]}"}).encode()
            answer = self.client.request("api_post", "POST", "/api/comments", body, {
                "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": token,
                "Origin": self.args.origin, "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"})
            if answer is None:
                self.pause_after_error()
                token = None
            elif answer[0] == 403:
                token = None

    def run_csp(self):
        n = self.index * 1000
        while self.running():
            n += 1
            media, body = csp_report(self.args.origin, n)
            answer = self.client.request("csp", "POST", "/csp-reports", body, {"Content-Type": media, "Accept": "*/*"})
            if answer is None:
                self.pause_after_error()

    def run_css(self):
        self.simple("css", "/static/board.css", accept="text/css,*/*;q=0.1")

    def run_export(self):
        n = 0
        while self.running():
            answer = self.client.request("profile", "GET", "/profile")
            if answer is None or answer[0] != 200:
                self.pause_after_error()
                continue
            token = hidden_token(answer[2], action="/profile/export")
            if token is None:
                self.stats.anomalies["profile: no export form with a _csrf field"] += 1
                self.pause_after_error()
                continue
            n += 1
            answer = self.client.form("export", "/profile/export", {"_csrf": token})
            if answer is not None and answer[0] == 200 and not answer[2].lstrip().startswith(b"{"):
                self.stats.anomalies["export: the download is not JSON"] += 1
            if n % 10 == 0 and self.running():
                self.client.form("export_replay", "/profile/export", {"_csrf": token})


# --- Server sampling --------------------------------------------------------------------------------

def read_status(pid):
    """VmRSS and its parts (RssAnon: the heap; RssFile: mapped files), in kB, and Threads, from
    /proc/PID/status; None when the process is gone (or a zombie)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            text = f.read()
    except OSError:
        return None
    fields = dict(re.findall(r"^(\w+):\s+(\S+)", text, re.M))
    if fields.get("State") in ("Z", "X"):
        return None
    number = lambda name: int(fields[name]) if name in fields else None
    return {"rss": number("VmRSS"), "anon": number("RssAnon"), "file": number("RssFile"), "threads": number("Threads")}


def count_fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


class Sampler(threading.Thread):
    """Samples the server at fixed offsets from the start of the measured window."""

    def __init__(self, pid, started, offsets):
        super().__init__(name="sampler", daemon=True)
        self.pid, self.started, self.offsets = pid, started, sorted(set(offsets))
        self.samples = []   # {"t": offset s, "rss", "anon", "file": kB, "threads", "fds"}
        self.gone_at = None

    def run(self):
        for offset in self.offsets:
            delay = self.started + offset - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            status = read_status(self.pid)
            fds = count_fds(self.pid)
            if status is None or fds is None:
                self.gone_at = offset
                return
            self.samples.append({"t": offset, **status, "fds": fds})

    def at(self, offset):
        return next((s for s in self.samples if s["t"] == offset), None)


# --- Report -----------------------------------------------------------------------------------------

def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def log_levels(path):
    """Counts swift-log StreamLogHandler lines by level (`<timestamp> <level> <label>: …`), and
    keeps the first error-level lines."""
    counts, first_errors = collections.Counter(), []
    try:
        with open(path, errors="replace") as f:
            for line in f:
                match = re.match(r"^\S+\s+(trace|debug|info|notice|warning|error|critical)\s", line)
                if match:
                    counts[match.group(1)] += 1
                    if match.group(1) in ("error", "critical") and len(first_errors) < 5:
                        first_errors.append(line.rstrip()[:300])
    except OSError:
        pass
    return counts, first_errors


def log(message):
    print(f"soak.py: {message}", file=sys.stderr, flush=True)


def parse_mix(text):
    roles = {"anon", "anon_cookie", "user", "form", "api_get", "api_post", "csp", "css", "export"}
    mix = []
    for part in text.split(","):
        role, equals, count = part.strip().partition("=")
        if role not in roles or not equals or not count.isdigit():
            raise argparse.ArgumentTypeError(f"'{part}' is not ROLE=COUNT with ROLE one of {', '.join(sorted(roles))}")
        if int(count) > 0:
            mix.append((role, int(count)))
    total = sum(count for _, count in mix)
    if not 1 <= total <= 64:
        raise argparse.ArgumentTypeError(f"{total} workers; 1 to 64")
    return mix


class ArgumentParser(argparse.ArgumentParser):
    """Bad arguments are a setup failure (exit 3), not argparse's 2 (here: the workload went wrong)."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(3, f"{self.prog}: error: {message}\n")


def main():
    parser = ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="http://127.0.0.1:PORT")
    parser.add_argument("--pid", type=int, required=True, help="the server's PID (for /proc)")
    parser.add_argument("--log", help="the server's log file (error-level lines are counted)")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--mix", type=parse_mix, default=parse_mix(DEFAULT_MIX), help=f"workers per role (default {DEFAULT_MIX})")
    parser.add_argument("--users", type=int, default=3, help="accounts registered up front (default 3)")
    parser.add_argument("--comments", type=int, default=20, help="comments posted up front (default 20)")
    parser.add_argument("--post-rate", type=float, default=0, help="posts per second per form/api_post worker (default 0: no limit)")
    parser.add_argument("--warmup", type=int, default=10, help="seconds before the baseline RSS and fd samples (default 10)")
    parser.add_argument("--sample-every", type=float, default=2.0, help="seconds between fd/RSS samples (default 2)")
    parser.add_argument("--rss-tolerance", type=float, default=0.10, help="RSS(end) within this fraction of RSS(warm-up) (default 0.10)")
    parser.add_argument("--fd-slack", type=int, default=20, help="most extra open fds at the end than after warm-up (default 20)")
    parser.add_argument("--timeout", type=float, default=10.0, help="socket timeout per request, s (default 10)")
    args = parser.parse_args()
    if args.seconds < args.warmup + 10:
        parser.error(f"--seconds must be at least --warmup + 10 ({args.warmup + 10})")
    if not 1 <= args.users <= 20 or not 0 <= args.comments <= 1000:
        parser.error("--users is 1 to 20, --comments 0 to 1000")
    parts = urllib.parse.urlsplit(args.base)
    if parts.scheme != "http" or not parts.hostname or not parts.port:
        parser.error(f"--base must be http://HOST:PORT, not {args.base!r}")
    args.host, args.port, args.origin = parts.hostname, parts.port, f"http://{parts.netloc}"
    args.started = time.monotonic()

    try:
        roles, clients = setup(args)
    except SetupError as error:
        log(f"setup failed: {error}")
        return 3

    fds_before = count_fds(args.pid)
    rss_before = (read_status(args.pid) or {}).get("rss")
    log(f"{len(roles)} workers for {args.seconds} s ({', '.join(f'{r}={c}' for r, c in args.mix)}); "
        f"server RSS {rss_before} kB, {fds_before} fds before the run")

    args.started = started = time.monotonic()
    stop_at = started + args.seconds
    end_sample = args.seconds - 0.5
    offsets = [t * args.sample_every for t in range(int(end_sample / args.sample_every) + 1)] + [args.warmup, end_sample]
    sampler = Sampler(args.pid, started, [o for o in offsets if o <= end_sample])
    workers = [Worker(args, role, i, clients.get(i), stop_at) for i, role in enumerate(roles)]
    sampler.start()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(args.seconds + args.timeout + 30)
    elapsed = time.monotonic() - started
    sampler.join(5)
    stuck = [w.name for w in workers if w.is_alive()]

    total = Stats()
    for worker in workers:
        total.merge(worker.stats)
    levels, error_lines = log_levels(args.log) if args.log else (collections.Counter(), [])
    alive = read_status(args.pid) is not None

    # --- Figures -------------------------------------------------------------------------------
    kinds = {}
    for kind, (label, expected) in KINDS.items():
        statuses, errors = total.statuses.get(kind, {}), total.errors.get(kind, {})
        count = sum(statuses.values())
        if not count and not errors:
            continue
        latencies = total.latencies.get(kind, [])
        kinds[kind] = {
            "label": label, "requests": count, "rps": round(count / elapsed, 1),
            "statuses": {str(s): n for s, n in sorted(statuses.items())},
            "unexpected": sum(n for s, n in statuses.items() if s not in expected and s < 500),
            "5xx": sum(n for s, n in statuses.items() if s >= 500),
            "socket_errors": sum(errors.values()), "socket_error_kinds": dict(errors),
            "set_cookie": total.set_cookie.get(kind, 0),
            "p50_ms": round(percentile(latencies, 50) * 1000, 1) if latencies else None,
            "p99_ms": round(percentile(latencies, 99) * 1000, 1) if latencies else None,
        }
    requests = sum(k["requests"] for k in kinds.values())
    five_xx = sum(k["5xx"] for k in kinds.values())
    socket_errors = sum(k["socket_errors"] for k in kinds.values())
    unexpected = sum(k["unexpected"] for k in kinds.values())
    # The data grows as the soak runs: every post adds a comment, and an export lists all of its
    # user's comments (up to 10,000).
    posted = total.statuses.get("form_post", {}).get(303, 0) + total.statuses.get("api_post", {}).get(201, 0)
    warm = sampler.at(args.warmup)
    end = sampler.at(end_sample)
    rss_ratio = round(end["rss"] / warm["rss"], 3) if warm and end and warm["rss"] else None
    fd_values = [s["fds"] for s in sampler.samples]
    fds = {
        "before": fds_before, "first": fd_values[0] if fd_values else None, "after_warmup": warm["fds"] if warm else None,
        "max": max(fd_values) if fd_values else None, "last": fd_values[-1] if fd_values else None,
    }

    failures, workload = [], []
    if five_xx:
        failures.append(f"{five_xx} responses were 5xx")
    if socket_errors:
        failures.append(f"{socket_errors} socket errors")
    if rss_ratio is None:
        failures.append("missing RSS samples (the server exited?)")
    elif abs(rss_ratio - 1) > args.rss_tolerance:
        failures.append(f"RSS({end_sample:g} s) / RSS({args.warmup} s) = {rss_ratio}: not within {args.rss_tolerance:.0%}")
    if fds["last"] is None or fds["after_warmup"] is None:
        failures.append("missing fd samples (the server exited?)")
    elif fds["last"] - fds["after_warmup"] > args.fd_slack:
        failures.append(f"open fds grew from {fds['after_warmup']} (at {args.warmup} s) to {fds['last']}: more than +{args.fd_slack}")
    if not alive or sampler.gone_at is not None:
        failures.append("the server process is gone")
    if stuck:
        failures.append(f"workers still running after the deadline: {', '.join(stuck)}")
    if unexpected:
        workload.append(f"{unexpected} answers with an unexpected non-5xx status")
    for anomaly, n in total.anomalies.items():
        workload.append(f"{n} × {anomaly}")

    # --- Tables ---------------------------------------------------------------------------------
    def statuses_text(k):
        parts = [f"{s}: {n}" for s, n in k["statuses"].items()]
        parts += [f"{name}: {n}" for name, n in k["socket_error_kinds"].items()]
        return ", ".join(parts) or "–"

    print()
    print(f"Soak: {args.seconds} s, {len(roles)} workers, {requests} requests, {requests / elapsed:.0f} req/s in all; "
          f"{posted} comments posted (after {args.comments} seeded)")
    print()
    print("| Kind | Requests | req/s | p50 ms | p99 ms | Statuses | Set-Cookie | 5xx | Socket errors |")
    print("|---|---:|---:|---:|---:|---|---:|---:|---:|")
    for k in kinds.values():
        print(f"| {k['label']} | {k['requests']} | {k['rps']:.1f} | {k['p50_ms']} | {k['p99_ms']} | {statuses_text(k)} "
              f"| {k['set_cookie']} | {k['5xx']} | {k['socket_errors']} |")
    print(f"| **All** | {requests} | {requests / elapsed:.1f} | | | | | {five_xx} | {socket_errors} |")
    print()
    at = lambda sample, name: sample[name] if sample else "?"
    rss_text = (f"{at(warm, 'rss')} kB → {at(end, 'rss')} kB (×{rss_ratio}); "
                f"heap (RssAnon) {at(warm, 'anon')} → {at(end, 'anon')} kB, files {at(warm, 'file')} → {at(end, 'file')} kB")
    print("| Server | Value | Check |")
    print("|---|---|---|")
    print(f"| RSS at {args.warmup} s → {end_sample:g} s | {rss_text} | within ±{args.rss_tolerance:.0%}: "
          f"{'yes' if rss_ratio is not None and abs(rss_ratio - 1) <= args.rss_tolerance else 'NO'} |")
    print(f"| Open fds: first, at {args.warmup} s, max, last | {fds['first']}, {fds['after_warmup']}, {fds['max']}, {fds['last']} | "
          f"last ≤ {args.warmup} s + {args.fd_slack}: {'yes' if fds['last'] is not None and fds['after_warmup'] is not None and fds['last'] - fds['after_warmup'] <= args.fd_slack else 'NO'} |")
    print(f"| Threads at {args.warmup} s → end | {at(warm, 'threads')} → {at(end, 'threads')} | |")
    print(f"| Log lines: error / warning / notice | {levels['error'] + levels['critical']} / {levels['warning']} / {levels['notice']} | |")
    print(f"| 5xx, socket errors | {five_xx}, {socket_errors} | zero: {'yes' if not five_xx and not socket_errors else 'NO'} |")
    print()
    print("Samples (s: RSS kB, fds): " + ", ".join(f"{s['t']:g}: {s['rss']}, {s['fds']}" for s in sampler.samples))
    for line in error_lines:
        print(f"error log line: {line}")
    for example in total.examples[:20]:
        print(f"bad answer: {example}")
    for text in failures:
        print(f"FAIL: {text}")
    for text in workload:
        print(f"WORKLOAD: {text}")
    status = 1 if failures else 2 if workload else 0
    print("PASS" if status == 0 else f"FAILED (exit {status})")
    print(json.dumps({
        "seconds": args.seconds, "elapsed": round(elapsed, 2), "workers": len(roles), "mix": dict(args.mix),
        "requests": requests, "rps": round(requests / elapsed, 1), "comments_posted": posted, "kinds": kinds,
        "5xx": five_xx, "socket_errors": socket_errors, "unexpected": unexpected, "anomalies": dict(total.anomalies),
        "rss_kb": {"before": rss_before, "warmup": warm and warm["rss"], "end": end and end["rss"], "ratio": rss_ratio,
                   "anon_warmup": warm and warm["anon"], "anon_end": end and end["anon"]},
        "fds": fds, "threads": {"warmup": warm and warm["threads"], "end": end and end["threads"]},
        "samples_columns": ["s", "rss_kb", "rss_anon_kb", "fds", "threads"],
        "samples": [[s["t"], s["rss"], s["anon"], s["fds"], s["threads"]] for s in sampler.samples],
        "log_lines": {"error": levels["error"] + levels["critical"], "warning": levels["warning"], "notice": levels["notice"]},
        "failures": failures + workload, "pass": status == 0,
    }, separators=(",", ":")))
    sys.stdout.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
