"""Real-browser checks of the reference app: Chromium (Debian's package) driven by Selenium
(PyPI), against a live `rampart serve`.

    python3 Tests/Browser/test_board.py --base-url http://127.0.0.1:5000

The server must have fresh storage: the checks register the first user, who is the admin on
loopback and reads the CSP dashboard.

It also serves an attacker's pages from http://localhost:<port> (another site) to try framing
and an auto-submitting cross-site form, and from http://127.0.0.2:<port> to load the app's
resources (script, image, fetch) and to link to it (resource isolation). Exits non-zero on the
first failed check.
"""
import argparse
import http.server
import json
import os
import struct
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
import zlib

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

PASSED = []


def check(name, condition, detail=""):
    if not condition:
        print(f"FAIL: {name} {detail}")
        sys.exit(1)
    PASSED.append(name)
    print(f"ok: {name}")


def png_file():
    """A real 2x2 PNG, written to a temporary file for the file input."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\xff\x00\x00\xff" * 2 for _ in range(2))
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 6, 0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    handle, path = tempfile.mkstemp(suffix=".png")
    os.write(handle, data)
    os.close(handle)
    return path


def serve_pages(pages, host):
    """Serves `pages` (path → HTML) from `host` on a free port in a background thread; the port."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path, "not found").encode()
            self.send_response(200 if self.path in pages else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer((host, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def attacker_server(target):
    """Another site's pages: one frames the app, one auto-submits a form to it."""
    pages = {
        "/frame.html": f'<!doctype html><title>evil frame</title><iframe id="victim" src="{target}/" width="600" height="400"></iframe>',
        "/csrf.html": f'''<!doctype html><title>evil form</title>
            <form id="f" method="post" action="{target}/comments"><input name="body" value="pwned-by-csrf"></form>
            <script>document.getElementById("f").submit()</script>''',
        "/csrf-login.html": f'''<!doctype html><title>evil login</title>
            <form id="f" method="post" action="{target}/logout"></form>
            <script>document.getElementById("f").submit()</script>''',
    }

    return f"http://localhost:{serve_pages(pages, '127.0.0.1')}"


def isolation_attacker(target, avatar):
    """Another site on 127.0.0.2: one page loads the app's resources as a script, an image, a
    stylesheet and with fetch(); another links to the app."""
    pages = {
        "/loads.html": f'''<!doctype html><title>evil loads</title>
            <script>window.results = {{}};</script>
            <script src="{target}/api/comments" onload="results.script='load'" onerror="results.script='error'"></script>
            <img src="{target}{avatar}" onload="results.img='load'" onerror="results.img='error'">
            <link rel="stylesheet" href="{target}/static/board.css" onload="results.css='load'" onerror="results.css='error'">
            <script>
              fetch("{target}/api/comments?via=fetch", {{mode: "cors", credentials: "include"}})
                .then(r => results.fetch = "status " + r.status, e => results.fetch = "error");
            </script>''',
        "/link.html": f'<!doctype html><title>evil link</title><a id="go" href="{target}/">the board</a>',
    }

    return f"http://127.0.0.2:{serve_pages(pages, '127.0.0.2')}"


REQUEST_URLS = {}
STATUSES_BY_REQUEST = {}


def drain_network_log(driver, forget=False):
    """Reads Chromium's network log: the URL of each request, and the HTTP statuses the server
    sent for it, from `responseReceivedExtraInfo` (the raw response), which Chromium logs even
    for a response it then blocks (CORP, CORS), where `responseReceived` never comes. The two
    events of one request may come in either order and in different reads, so both are kept
    by request id. `forget` drops the statuses read so far."""
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message.get("method") == "Network.requestWillBeSent":
            REQUEST_URLS[params["requestId"]] = params["request"]["url"]
        elif message.get("method") == "Network.responseReceivedExtraInfo":
            STATUSES_BY_REQUEST.setdefault(params["requestId"], []).append(params["statusCode"])
    if forget:
        STATUSES_BY_REQUEST.clear()


def response_statuses(driver, urls, seconds=10):
    """URL → the set of statuses the server sent for it since the last `forget`, waiting up to
    `seconds` for every URL in `urls` to have one."""
    deadline = time.monotonic() + seconds
    while True:
        drain_network_log(driver)
        statuses = {}
        for request, codes in STATUSES_BY_REQUEST.items():
            url = REQUEST_URLS.get(request)
            if url in urls:
                statuses.setdefault(url, set()).update(codes)
        if all(url in statuses for url in urls) or time.monotonic() > deadline:
            return statuses
        time.sleep(0.25)


def make_driver():
    options = webdriver.ChromeOptions()
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    # --short-reporting-delay: the Reporting API (report-to) sends reports at once, not a minute later.
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
                     "--short-reporting-delay",
                     f"--user-data-dir={tempfile.mkdtemp(prefix='rampart-selenium-')}"):
        options.add_argument(argument)
    service = Service(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    return driver


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", default="http://127.0.0.1:5000")
    parser.add_argument("--screenshot", help="save a screenshot of the home page here")
    args = parser.parse_args()
    base = args.base_url.rstrip("/")
    evil = attacker_server(base)
    driver = make_driver()
    wait = WebDriverWait(driver, 10)
    name = "user" + uuid.uuid4().hex[:8]
    password = "correct horse battery"

    def type_into(element_id, text):
        field = driver.find_element(By.ID, element_id)
        field.clear()
        field.send_keys(text)

    def click(element_id):
        driver.find_element(By.ID, element_id).click()

    try:
        # 1. The nonce'd script runs.
        driver.get(base + "/")
        check("the nonce'd script ran", driver.execute_script("return window.rampartNonceScriptRan === true"))
        check("the script updated the page", driver.find_element(By.ID, "js-status").text == "The page's nonce'd script ran.")
        check("the home page's static script ran, allowed by the hash Rampart computed at load",
              driver.execute_script("return window.rampartHashScriptRan === true"))
        with urllib.request.urlopen(base + "/") as response:
            csp = response.headers["Content-Security-Policy"]
        check("the CSP carries the nonce and the static script's hash", "'nonce-" in csp and "'sha256-" in csp, csp)

        # 2. The whole journey with clicks and typing: register.
        click("nav-register")
        type_into("username", name)
        type_into("password", password)
        click("register-submit")
        wait.until(expected_conditions.presence_of_element_located((By.ID, "nav-profile")))
        check("registered and logged in by form", driver.find_element(By.ID, "nav-profile").text == name)

        # 3. document.cookie cannot read the session cookie, which the browser does hold.
        check("document.cookie hides the session", "__Host-session" not in driver.execute_script("return document.cookie"))
        cookies = {c["name"]: c for c in driver.get_cookies()}
        session = cookies.get("__Host-session")
        check("the browser keeps the HttpOnly, Secure, SameSite=Lax session cookie",
              session is not None and session["httpOnly"] and session["secure"] and session.get("sameSite") == "Lax", str(session))

        # 3b. A string written to a DOM XSS sink (innerHTML): the report-only policy's Trusted
        # Types rule reports it without blocking it, and the report reaches the admin's dashboard
        # in its report-only section, with a suggestion. (The first user of fresh storage on
        # loopback is the admin.)
        driver.execute_script("document.getElementById('js-status').innerHTML = 'tt-probe'")
        check("the report-only Trusted Types rule did not block the sink", driver.find_element(By.ID, "js-status").text == "tt-probe")
        section = ""
        for _ in range(40):
            driver.get(base + "/admin/csp-reports")
            page = driver.page_source
            section = page.split('id="report-only"', 1)[1] if 'id="report-only"' in page else ""
            if "trusted-types-sink" in section:
                break
            time.sleep(0.5)
        check("a report-only Trusted Types violation reaches the dashboard's report-only section",
              "<td>require-trusted-types-for</td><td>trusted-types-sink</td>" in section, driver.title)
        check("the dashboard suggests what to do about it", "a string reached a DOM sink" in section)
        driver.get(base + "/")

        # 3c. The fetch() pattern for scripts: the token from <meta name="csrf-token"> sent as
        # X-CSRF-Token posts JSON; the same request without it is refused with a JSON reason.
        driver.get(base + "/")
        post = """
            const done = arguments[arguments.length - 1];
            const headers = {"Content-Type": "application/json", "Accept": "application/json"};
            if (arguments[0]) headers["X-CSRF-Token"] = document.querySelector('meta[name="csrf-token"]').content;
            fetch("/api/comments", {method: "POST", headers, body: JSON.stringify({body: arguments[1]})})
              .then(r => r.text().then(t => done([r.status, t])), e => done([0, String(e)]));
        """
        status, text = driver.execute_async_script(post, True, "posted by fetch " + name)
        check("fetch() with the meta tag's token in X-CSRF-Token posts JSON (201)", status == 201 and name in text, f"{status} {text}")
        status, text = driver.execute_async_script(post, False, "no token " + name)
        check("fetch() without the token is refused: 403 missingToken, as JSON",
              status == 403 and json.loads(text).get("reason") == "missingToken", f"{status} {text}")

        # 4. A script injected through q does not run; the text is shown as typed.
        injected = '"><script>window.pwned=1</script><img src=x onerror="window.pwned=2">'
        type_into("q", injected)
        driver.find_element(By.CSS_SELECTOR, ".search button").click()
        wait.until(expected_conditions.presence_of_element_located((By.ID, "search-echo")))
        check("q injection did not run", driver.execute_script("return window.pwned === undefined"))
        echoed = driver.find_element(By.ID, "search-echo").text
        check("q is echoed as text", injected in echoed, repr(echoed))
        check("q is echoed into the input's value", driver.find_element(By.ID, "q").get_attribute("value") == injected)

        # 5. A comment with script and a link: typed, posted, inert; the link is a real link.
        driver.get(base + "/")
        comment = f'<script>window.pwned=3</script> {name} see https://example.com/page and javascript:alert(1) "\u0301 onmouseover=window.pwned=4 x="'
        type_into("body", comment)
        click("post-comment")
        wait.until(lambda d: d.execute_script("return document.readyState") == "complete"
                   and name in d.execute_script("const c = document.querySelector('.comment .body'); return c ? c.textContent : ''"))
        check("comment script did not run", driver.execute_script("return window.pwned === undefined"))
        first = driver.find_element(By.CSS_SELECTOR, ".comment .body")
        check("comment shows its text", "<script>window.pwned=3</script>" in first.text)
        links = first.find_elements(By.TAG_NAME, "a")
        check("only the https link became a link", [a.get_attribute("href") for a in links] == ["https://example.com/page"],
              str([a.get_attribute("href") for a in links]))
        check("no handler attribute appeared", first.get_attribute("onmouseover") is None)

        # 6. Upload an avatar with the file input and see it load.
        click("nav-profile")
        driver.find_element(By.ID, "file").send_keys(png_file())
        click("upload-avatar")
        # Query the image afresh on every poll: the page navigates (POST, 303, GET), so a held
        # element reference can go stale.
        loaded = "const i = document.querySelector('img.avatar'); return i && i.complete ? i.naturalWidth : 0"
        wait.until(lambda d: d.execute_script("return document.readyState") == "complete" and d.execute_script(loaded))
        check("the avatar image loads (img-src 'self', inline PNG)", driver.execute_script(loaded) == 2)
        avatar = driver.execute_script("return new URL(document.querySelector('img.avatar').src).pathname")

        # 7a. Another site (127.0.0.2) cannot load the app's resources: the server refuses each
        # with 403 (resource isolation), which the browser's network log shows. (CORP alone would
        # also block these loads, but only after the server had answered 200.)
        isolation = isolation_attacker(base, avatar)
        drain_network_log(driver, forget=True)
        driver.get(isolation + "/loads.html")
        wait.until(lambda d: len(d.execute_script("return window.results || {}")) == 4)
        results = driver.execute_script("return window.results")
        loads = [("a <script src>", base + "/api/comments"), ("an <img src>", base + avatar), ("a stylesheet", base + "/static/board.css"),
                 ("a fetch()", base + "/api/comments?via=fetch")]
        statuses = response_statuses(driver, [url for _, url in loads])
        for label, url in loads[:3]:
            check(f"another site's {label} of the app is refused with 403", statuses.get(url) == {403}, f"{url}: {statuses.get(url)}")
        check("another site's fetch() of the app's JSON is refused with 403",
              statuses.get(base + "/api/comments?via=fetch") == {403} and results.get("fetch") == "error",
              f"{statuses.get(base + '/api/comments?via=fetch')} {results}")
        check("the page on another site sees only load errors", results.get("script") == "error" and results.get("img") == "error",
              str(results))

        # 7b. A link from that site to the app still works, and the visitor is still signed in
        # (a top-level navigation carries the SameSite=Lax cookie).
        driver.get(isolation + "/link.html")
        drain_network_log(driver, forget=True)
        click("go")
        wait.until(lambda d: d.current_url == base + "/" and d.execute_script("return document.readyState") == "complete")
        statuses = response_statuses(driver, [base + "/"])
        check("a link from another site to the app works", statuses.get(base + "/") == {200}, str(statuses.get(base + "/")))
        check("the linked page runs its script and keeps the session",
              driver.execute_script("return window.rampartNonceScriptRan === true") and driver.find_elements(By.ID, "nav-profile") != [])

        # 7. Another site cannot frame the app.
        driver.get(evil + "/frame.html")
        time.sleep(1.5)
        driver.switch_to.frame(driver.find_element(By.ID, "victim"))
        framed = driver.find_elements(By.ID, "js-status")
        driver.switch_to.default_content()
        check("a page on another site cannot frame the app", framed == [])

        # 8. An auto-submitting cross-site form changes nothing.
        driver.get(evil + "/csrf.html")
        wait.until(lambda d: d.current_url == base + "/comments" and d.execute_script("return document.readyState") == "complete")
        check("the cross-site form was refused with 403", driver.title.startswith("403 Forbidden"), driver.title)
        driver.get(base + "/")
        check("the cross-site form posted no comment", "pwned-by-csrf" not in driver.page_source)
        driver.get(evil + "/csrf-login.html")
        wait.until(lambda d: d.current_url == base + "/logout" and d.execute_script("return document.readyState") == "complete")
        driver.get(base + "/")
        check("a cross-site logout did not log the user out", driver.find_elements(By.ID, "nav-profile") != [])

        if args.screenshot:
            driver.set_window_size(1100, 900)
            driver.get(base + "/")
            driver.save_screenshot(args.screenshot)

        # 9. Delete the account with its one-time token; the name no longer logs in, and the
        # browser drops the site's storage and cookies (Clear-Site-Data).
        driver.execute_script("localStorage.setItem('rampart-draft', 'unsent comment')")
        check("the login left a device cookie", "__Host-device" in [c["name"] for c in driver.get_cookies()])
        click("nav-profile")
        click("delete-account")
        wait.until(expected_conditions.presence_of_element_located((By.ID, "nav-login")))
        check("deleting the account cleared the site's storage (Clear-Site-Data)",
              driver.execute_script("return localStorage.getItem('rampart-draft')") is None)
        # The page the deletion redirects to starts a fresh anonymous session; the device cookie,
        # which only a Set-Cookie of its own or Clear-Site-Data "cookies" removes, is gone.
        check("deleting the account cleared the site's cookies (Clear-Site-Data)",
              "__Host-device" not in [c["name"] for c in driver.get_cookies()], str([c["name"] for c in driver.get_cookies()]))
        click("nav-login")
        type_into("username", name)
        type_into("password", password)
        click("login-submit")
        problem = wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".problem")))
        check("the deleted account cannot log in", problem.text == "Wrong user name or password.")
    finally:
        driver.quit()
    print(f"{len(PASSED)} browser checks passed")


if __name__ == "__main__":
    main()
