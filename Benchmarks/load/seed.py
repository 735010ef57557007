#!/usr/bin/env python3
"""Seeds a board for a load test and prints the signed-in session's Cookie header value.

    seed.py rampart --base http://127.0.0.1:5055 --comments 20    # the Rampart board
    seed.py flask   --base http://127.0.0.1:5056 --comments 20    # the Flask peer
    seed.py cookie  --base http://127.0.0.1:5057                  # GET / once, print its cookie

rampart/flask register a user (or log in if the name is taken), post N comments (the same texts
for both apps: markup, ampersands, quotes and links, so escaping and linkification have work to
do) and print ONE line on stdout, the Cookie header value of the signed-in session, e.g.
`__Host-session=v1...` or `session=...`, for `wrk -H "Cookie: ..."`. `cookie` prints the cookies
that an anonymous GET sets (the Swift load server's `stack` mode). Progress goes to stderr.

Standard library only. Cookies are kept by hand (name=value from Set-Cookie, sent back as is):
http.cookiejar never sends a Secure cookie such as __Host-session over http://, even on loopback.
Every request goes to --base only (meant for 127.0.0.1) and the script stops after a bounded
number of requests.
"""
import argparse
import http.client
import re
import sys
import time
import urllib.parse

USERNAME = "bench"
PASSWORD = "benchmark-password-1"

# (csrf form field, how the app answers a taken name)
APPS = {
    "rampart": {"field": "_csrf"},
    "flask": {"field": "csrf_token"},
}

TEXTS = [
    "First! Plain text, nothing to escape here.",
    "Some <b>bold</b> claims & a <script>alert('x')</script> that must stay text.",
    "Tom & Jerry said \"hello\" and 'goodbye' — quotes of both kinds.",
    "Read the docs at https://example.com/x before asking, please.",
    "Two links: https://example.com/x and http://example.com/y?a=1&b=2, then a comma.",
    "Unicode: café, naïve, 日本語, emoji 🎉, and a right-to-left ‏שלום.",
    "Angle brackets <i>italic</i> <img src=x onerror=alert(1)> and an ampersand entity &amp; literally.",
    "A longer comment. " * 12 + "It ends here.",
    "Percent 100% and underscores_in_names and back\\slashes, for the search box.",
    "Multi-line\ncomment\nwith three lines & a link (https://example.com/x).",
]


class Client:
    """A tiny HTTP/1.1 client for one origin, with a hand-kept cookie jar."""

    def __init__(self, base, timeout=30.0):
        parts = urllib.parse.urlsplit(base)
        if parts.scheme != "http" or not parts.hostname:
            raise SystemExit(f"--base must be http://HOST:PORT, not {base!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.origin = f"http://{parts.netloc}"
        self.timeout = timeout
        self.cookies = {}
        self.requests = 0

    def request(self, method, path, form=None):
        self.requests += 1
        if self.requests > 10_000:
            raise SystemExit("seed.py: too many requests, giving up")
        headers = {"Accept": "text/html", "User-Agent": "rampart-bench-seed/1"}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for value in response.headers.get_all("Set-Cookie") or []:
                self.remember(value)
            return response.status, response.headers, text
        finally:
            connection.close()

    def remember(self, set_cookie):
        pair, _, attributes = set_cookie.partition(";")
        name, equals, value = pair.strip().partition("=")
        if not equals or not name:
            return
        attributes = attributes.lower()
        expired = re.search(r"(^|;)\s*max-age\s*=\s*(-?\d+)", attributes)
        if (expired and int(expired.group(2)) <= 0) or re.search(r"expires\s*=\s*thu, 01[ -]jan[ -]1970", attributes):
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value.strip()

    def cookie_header(self):
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())


def token(html, field):
    """The CSRF token of the page: the hidden field, else the csrf-token meta tag."""
    for tag in re.findall(r"<input\b[^>]*>", html):
        if re.search(rf'\bname="{re.escape(field)}"', tag):
            value = re.search(r'\bvalue="([^"]*)"', tag)
            if value:
                return value.group(1)
    meta = re.search(r'<meta\b[^>]*name="csrf-token"[^>]*content="([^"]*)"', html)
    if meta:
        return meta.group(1)
    raise SystemExit(f"seed.py: no CSRF token ({field}) in the page")


def expect(status, wanted, what, text):
    if status not in wanted:
        snippet = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip()[:300]
        raise SystemExit(f"seed.py: {what} answered {status}, expected {sorted(wanted)}: {snippet}")


def log(message):
    print(f"seed.py: {message}", file=sys.stderr, flush=True)


def sign_in(client, field, username, password):
    status, _, html = client.request("GET", "/register")
    expect(status, {200}, "GET /register", html)
    started = time.monotonic()
    form = {"username": username, "password": password, field: token(html, field)}
    status, _, html = client.request("POST", "/register", form)
    if status in (301, 302, 303):
        log(f"registered {username} ({time.monotonic() - started:.2f} s)")
        return
    expect(status, {409}, "POST /register", html)
    status, _, html = client.request("GET", "/login")
    expect(status, {200}, "GET /login", html)
    form = {"username": username, "password": password, field: token(html, field)}
    status, _, html = client.request("POST", "/login", form)
    expect(status, {301, 302, 303}, "POST /login", html)
    log(f"{username} was taken: logged in instead ({time.monotonic() - started:.2f} s)")


def seed(client, app, count, username, password):
    field = APPS[app]["field"]
    sign_in(client, field, username, password)
    status, _, html = client.request("GET", "/")
    expect(status, {200}, "GET /", html)
    if 'action="/logout"' not in html:
        raise SystemExit("seed.py: signed in, but GET / shows no log-out form (the session cookie was not kept?)")
    csrf = token(html, field)
    for index in range(count):
        body = f"#{index + 1}: {TEXTS[index % len(TEXTS)]}"
        status, _, html = client.request("POST", "/comments", {"body": body, field: csrf})
        if status == 403 or status == 400:
            # A rejected token (e.g. the session changed): fetch a fresh one and retry once.
            status, _, page = client.request("GET", "/")
            expect(status, {200}, "GET /", page)
            csrf = token(page, field)
            status, _, html = client.request("POST", "/comments", {"body": body, field: csrf})
        expect(status, {301, 302, 303}, f"POST /comments #{index + 1}", html)
    status, _, html = client.request("GET", "/")
    expect(status, {200}, "GET /", html)
    shown = html.count('class="comment"')
    if shown < min(count, 50):
        raise SystemExit(f"seed.py: posted {count} comments but GET / shows {shown}")
    log(f"posted {count} comments to {client.origin}; the home page shows {shown}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("app", choices=[*APPS, "cookie"])
    parser.add_argument("--base", required=True, help="http://127.0.0.1:PORT")
    parser.add_argument("--comments", type=int, default=20)
    parser.add_argument("--username", default=USERNAME)
    parser.add_argument("--password", default=PASSWORD)
    parser.add_argument("--path", default="/", help="cookie: the page to GET (default /)")
    args = parser.parse_args()
    if not 0 <= args.comments <= 5000:
        parser.error("--comments must be 0 to 5000")
    client = Client(args.base)
    if args.app == "cookie":
        status, _, html = client.request("GET", args.path)
        expect(status, {200}, f"GET {args.path}", html)
    else:
        seed(client, args.app, args.comments, args.username, args.password)
    if not client.cookies:
        raise SystemExit("seed.py: the server set no cookie")
    print(client.cookie_header())


if __name__ == "__main__":
    main()
