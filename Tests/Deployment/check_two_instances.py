#!/usr/bin/env python3
"""Checks two `rampart serve` instances behind nginx (docs/deployment/nginx-rampart.conf).

Run by Tests/Deployment/two_instances.sh, which starts PostgreSQL, the two instances and nginx.
Every request goes through nginx over HTTPS; the script stops one instance at a time to prove
that any instance serves any session and that one-time tokens are shared.
"""
import argparse
import http.cookiejar
import json
import re
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

failures = 0


def check(name, condition, detail=""):
    global failures
    print(("PASS " if condition else "FAIL ") + name + ("" if condition else f": {detail}"), flush=True)
    if not condition:
        failures += 1


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--control", required=True, help="script taking stop-a|start-a|stop-b|start-b")
    args = parser.parse_args()
    context = ssl.create_default_context(cafile=args.ca)
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context),
                                         urllib.request.HTTPCookieProcessor(jar), NoRedirect)

    def request(path, form=None, accept="text/html"):
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(args.base_url + path, data=data, headers={"Accept": accept, "Sec-Fetch-Site": "same-origin"})
        try:
            with opener.open(req, timeout=15) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()

    def token(page, action=None):
        if action:
            page = page[page.index(f'action="{action}"'):]
            return re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
        return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)

    def control(what):
        subprocess.run([args.control, what], check=True)
        if what.startswith("start"):
            # nginx marks a refused upstream down for fail_timeout (3 s in the sample).
            time.sleep(3.5)

    status, headers, page = request("/register")
    check("the register page comes through nginx over HTTPS", status == 200, status)
    check("Rampart sends HSTS: it believes the trusted proxy's X-Forwarded-Proto: https",
          headers.get("Strict-Transport-Security", "").startswith("max-age="), headers.get("Strict-Transport-Security"))
    status, headers, _ = request("/register", {"_csrf": token(page), "username": "deployer", "password": "correct horse battery"})
    check("registration succeeds (303)", status == 303, status)
    cookie = [c for c in jar if c.name == "__Host-session"]
    check("the session cookie is __Host-, Secure", len(cookie) == 1 and cookie[0].secure, [(c.name, c.secure) for c in jar])

    for stop, start in (("stop-a", "start-a"), ("stop-b", "start-b")):
        control(stop)
        for attempt in range(3):
            status, _, page = request("/profile")
            check(f"with instance {stop[-1].upper()} stopped, the session still works (request {attempt + 1})",
                  status == 200 and "deployer" in page, status)
        status, _, page = request("/")
        status, _, _ = request("/comments", {"_csrf": token(page), "body": f"posted while {stop[-1].upper()} was down"})
        check(f"with instance {stop[-1].upper()} stopped, a comment is posted", status == 303, status)
        control(start)

    status, _, page = request("/")
    check("both comments are there", "posted while A was down" in page and "posted while B was down" in page)

    # A one-time token used once (on whichever instance), then replayed on the other.
    status, _, page = request("/profile")
    export = token(page, "/profile/export")
    control("stop-b")
    # nginx retries a GET on the other instance when one refuses connections, never a POST
    # (it may have been processed); a GET first lets nginx mark the stopped instance down.
    request("/healthz")
    request("/healthz")
    status, headers, body = request("/profile/export", {"_csrf": export})
    check("the data export works once (served by A)", status == 200 and headers.get("Content-Disposition", "").startswith("attachment;"), status)
    control("start-b")
    control("stop-a")
    request("/healthz")
    request("/healthz")
    status, _, body = request("/profile/export", {"_csrf": export}, accept="application/json")
    check("replayed on B it is refused as reused", status == 403 and json.loads(body).get("reason") == "tokenReused", (status, body))
    control("start-a")

    print(f"{'OK' if failures == 0 else 'FAILED'}: {failures} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
