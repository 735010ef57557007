import Rampart

/// The page served at `/` until the reference app arrives: it shows the security headers at
/// work. A nonce'd inline script and style run; an injected script and style, without the
/// nonce, are blocked by CSP.
enum DemoPage {
    /// The answer to an accepted demo form; the note is escaped by `Markup` interpolation.
    static func accepted(note: String, kind: String) -> Markup {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Accepted</title></head>
        <body><h1>Accepted</h1><p>The \(kind) was valid. Your note: <q>\(note)</q></p><p><a href="/">Back</a></p></body></html>

        """
    }

    static func render(nonce: CSPNonce?, isSecure: Bool, visits: Int, csrfField: Markup, oneTimeField: Markup) -> String {
        // The nonce alphabet (A–Z a–z 0–9 + / =) needs no escaping inside a quoted attribute.
        let nonceAttribute = nonce.map { " nonce=\"\($0.value)\"" } ?? ""
        return """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Rampart: security headers</title>
        <style\(nonceAttribute)>
        body { font: 16px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #1b1f24; }
        h1 { font-size: 1.6rem; }
        .ok { color: #116329; font-weight: 600; }
        .bad { color: #a40e26; font-weight: 600; }
        table { border-collapse: collapse; width: 100%; font-size: 0.85rem; }
        td, th { border: 1px solid #d0d7de; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
        td:last-child { font-family: ui-monospace, monospace; word-break: break-all; }
        code { background: #f6f8fa; padding: 0 0.2rem; }
        </style>
        <style>
        /* Injected without the nonce: CSP blocks it, so the page does not turn red. */
        body { background: #ff0000; }
        </style>
        </head>
        <body>
        <h1>Rampart is guarding this page</h1>
        <p>This response carries a Content-Security-Policy with a fresh nonce. Only inline code
        that carries that nonce may run.</p>
        <ul>
        <li id="nonced">Nonce'd inline script: <span class="bad">did not run</span></li>
        <li id="injected">Injected inline script (no nonce): <span class="ok">blocked by CSP</span></li>
        <li id="nonced-style">Nonce'd inline style: <span class="ok">applied</span> (this text is green)</li>
        <li id="injected-style">Injected inline style (no nonce): <span class="ok">blocked by CSP</span> (the background is not red)</li>
        <li>Connection: \(isSecure ? "HTTPS, so HSTS is sent" : "plain HTTP, so HSTS is not sent")</li>
        <li id="visits">Visits in this session: \(visits) (kept in SQLite under an HMAC of the id; the
        <code>__Host-session</code> cookie carries only the signed id and is <code>HttpOnly</code>)</li>
        <li id="session-check">Session cookie on a second request: <span>not checked (JavaScript is off)</span></li>
        </ul>
        <h2>CSRF</h2>
        <p>This form carries a masked token (it changes on every render). A forged cross-site post, or one
        without the token, gets 403.</p>
        <form method="post" action="/csrf-demo">\(csrfField.html)
        <label>Note <input name="note" maxlength="200"></label> <button>Send</button></form>
        <p>This one carries a one-time token: submit it, go back, and submit again to see <code>tokenReused</code>.</p>
        <form method="post" action="/csrf-demo/once">\(oneTimeField.html)
        <label>Note <input name="note" maxlength="200"></label> <button>Send once</button></form>
        <h2>Headers on this page</h2>
        <table id="headers"><tr><th>Header</th><th>Value</th></tr></table>
        <noscript><p>Run <code>curl -si http://127.0.0.1:5000/</code> to see the headers.</p></noscript>
        <script\(nonceAttribute)>
        (function () {
          var item = document.getElementById("nonced");
          item.lastElementChild.textContent = "ran";
          item.lastElementChild.className = "ok";
          var styled = document.getElementById("injected-style").lastElementChild;
          if (getComputedStyle(document.body).backgroundColor === "rgb(255, 0, 0)") {
            styled.textContent = "APPLIED: CSP is not working";
            styled.className = "bad";
          }
          var nonceStyled = document.getElementById("nonced-style").lastElementChild;
          if (getComputedStyle(nonceStyled).color !== "rgb(17, 99, 41)") {
            nonceStyled.textContent = "not applied";
          }
          fetch(location.pathname, { cache: "no-store" }).then(function (response) {
            return response.text();
          }).then(function (text) {
            var match = /Visits in this session: ([0-9]+)/.exec(text);
            var check = document.getElementById("session-check").lastElementChild;
            check.textContent = match ? "kept, this was visit " + match[1] : "missing";
            check.className = match && match[1] !== "1" ? "ok" : "bad";
          });
          fetch(location.pathname, { method: "HEAD", cache: "no-store" }).then(function (response) {
            var table = document.getElementById("headers");
            response.headers.forEach(function (value, name) {
              var row = table.insertRow();
              row.insertCell().textContent = name;
              row.insertCell().textContent = value;
            });
          });
        })();
        </script>
        <script>
        // Injected without the nonce: CSP blocks it.
        var injected = document.getElementById("injected");
        injected.lastElementChild.textContent = "RAN: CSP is not working";
        injected.lastElementChild.className = "bad";
        </script>
        </body>
        </html>

        """
    }
}
