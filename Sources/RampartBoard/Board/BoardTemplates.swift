/// The message board's Mustache templates, checked and loaded by `SafeTemplates` at startup.
///
/// Every `{{value}}` is escaped as UTF-8 bytes; values in URL attributes go through `SafeURL`;
/// `csrfField`, `csrfMeta`, `oneTimeField` and `commentList` (each comment rendered once through
/// the `comment` template) are `Markup`. The footer's script carries the request's nonce (error
/// pages render it too); the home page's static script is allowed by its SHA-256 hash, which
/// `SafeMustache` computes at load and adds to the response's `script-src`. There are no inline
/// event handlers or style attributes, and every form works without JavaScript.
enum BoardTemplates {
    static let all: [String: String] = [
        "header": header,
        "footer": footer,
        "home": home,
        "comment": comment,
        "login": login,
        "register": register,
        "profile": profile,
        "cspReports": cspReports,
        "error": error,
    ]

    static let header = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Rampart board</title>
        <link rel="stylesheet" href="/static/board.css">
        {{csrfMeta}}
        </head>
        <body>
        <header class="top">
        <a class="brand" href="/">Rampart board</a>
        <nav>
        {{#currentUser}}
        <a href="/profile" id="nav-profile">{{username}}</a>
        {{#isAdmin}}<a href="/admin/csp-reports">CSP reports</a>{{/isAdmin}}
        <form class="inline" method="post" action="/logout">{{csrfField}}<button type="submit" id="logout">Log out</button></form>
        {{/currentUser}}
        {{^currentUser}}
        <a href="/login" id="nav-login">Log in</a>
        <a href="/register" id="nav-register">Register</a>
        {{/currentUser}}
        </nav>
        </header>
        <main>
        {{#flash}}<p class="flash" role="status">{{flash}}</p>{{/flash}}
        {{#problem}}<p class="problem" role="alert">{{problem}}</p>{{/problem}}

        """

    static let footer = """
        </main>
        <footer><p>Served with Rampart: nonce-based CSP, CSRF tokens, HttpOnly <code>__Host-</code> cookies.
        <span id="js-status">JavaScript is off or blocked; everything still works.</span></p></footer>
        <script nonce="{{cspNonce}}">
        document.getElementById("js-status").textContent = "The page's nonce'd script ran.";
        window.rampartNonceScriptRan = true;
        </script>
        </body>
        </html>

        """

    static let home = """
        {{> header}}
        <section class="search">
        <form method="get" action="/" role="search">
        <label for="q">Search comments</label>
        <input id="q" name="q" type="search" value="{{q}}" maxlength="200">
        <button type="submit">Search</button>
        </form>
        {{#hasQuery}}<p class="results" id="search-echo">Results for “{{q}}”: {{resultCount}}</p>{{/hasQuery}}
        </section>
        <script>window.rampartHashScriptRan = true;</script>
        {{#currentUser}}
        <section class="compose">
        <form method="post" action="/comments">
        {{csrfField}}
        <label for="body">Say something (links welcome)</label>
        <textarea id="body" name="body" rows="3" maxlength="2000" required></textarea>
        <button type="submit" id="post-comment">Post</button>
        </form>
        </section>
        {{/currentUser}}
        {{^currentUser}}<p><a href="/login">Log in</a> or <a href="/register">register</a> to comment.</p>{{/currentUser}}
        <section class="comments">
        <h2>Latest comments</h2>
        <ol class="comment-list">
        {{commentList}}
        </ol>
        {{^hasComments}}<p>No comments yet.</p>{{/hasComments}}
        </section>
        {{> footer}}
        """

    static let comment = """
        <li class="comment" id="comment-{{id}}"><p class="meta"><strong>{{username}}</strong> <time datetime="{{iso}}">{{when}}</time></p>
        <p class="body">{{#segments}}{{#href}}<a href="{{href}}" rel="nofollow noopener noreferrer ugc">{{text}}</a>{{/href}}{{^href}}{{text}}{{/href}}{{/segments}}</p></li>

        """

    static let login = """
        {{> header}}
        <h1>Log in</h1>
        <form method="post" action="/login" class="card">
        {{csrfField}}
        <label for="username">User name</label>
        <input id="username" name="username" autocomplete="username" required value="{{username}}">
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required>
        <button type="submit" id="login-submit">Log in</button>
        </form>
        <p>No account? <a href="/register">Register</a>.</p>
        {{> footer}}
        """

    static let register = """
        {{> header}}
        <h1>Register</h1>
        <form method="post" action="/register" class="card">
        {{csrfField}}
        <label for="username">User name (3–32 of a–z, 0–9, _ . -)</label>
        <input id="username" name="username" autocomplete="username" required minlength="3" maxlength="32" value="{{username}}">
        <label for="password">Password (8–72 bytes)</label>
        <input id="password" name="password" type="password" autocomplete="new-password" required minlength="8">
        <button type="submit" id="register-submit">Register</button>
        </form>
        {{> footer}}
        """

    static let profile = """
        {{> header}}
        <h1>{{username}}</h1>
        {{#isAdmin}}<p class="badge">Admin: the first registered user.</p>{{/isAdmin}}
        <section class="card">
        <h2>Avatar</h2>
        {{#avatarID}}<p><img class="avatar" src="/uploads/{{avatarID}}" alt="Your avatar" width="96" height="96"></p>{{/avatarID}}
        {{^avatarID}}<p>No avatar yet.</p>{{/avatarID}}
        <form method="post" action="/profile/avatar" enctype="multipart/form-data">
        {{csrfField}}
        <label for="file">PNG, JPEG, GIF, WebP or PDF, at most 2 MiB</label>
        <input id="file" name="file" type="file" accept="image/png,image/jpeg,image/gif,image/webp,application/pdf" required>
        <button type="submit" id="upload-avatar">Upload</button>
        </form>
        </section>
        <section class="card">
        <h2>Sessions</h2>
        <form method="post" action="/sessions/revoke-all">
        {{csrfField}}
        <button type="submit" id="revoke-all">Log out everywhere</button>
        </form>
        </section>
        <section class="card">
        <h2>Your data</h2>
        <p>Download your profile and comments as JSON. The form carries a one-time token: reload the page to download again.</p>
        <form method="post" action="/profile/export">
        {{exportField}}
        <button type="submit" id="export-data">Download my data</button>
        </form>
        </section>
        <section class="card danger">
        <h2>Delete account</h2>
        <p>This deletes your account, comments and uploads. The form carries a one-time token: it works once.</p>
        <form method="post" action="/profile/delete">
        {{oneTimeField}}
        <button type="submit" id="delete-account">Delete my account</button>
        </form>
        </section>
        {{> footer}}
        """

    static let cspReports = """
        {{> header}}
        <h1>CSP reports</h1>
        <p>Violations reported to <code>/csp-reports</code>, grouped by policy, directive and blocked URI. Reports are kept 30 days, at most 10,000.</p>
        <p class="dropped">{{#hasDropped}}{{dropped}} reports were dropped by the per-client cap.{{/hasDropped}}{{^hasDropped}}No reports were dropped by the per-client cap.{{/hasDropped}}</p>
        <p class="noise">{{#hasNoise}}{{noise}} reports from browser extensions and about: or data: noise are hidden.{{/hasNoise}}{{^hasNoise}}No extension or about:/data: noise.{{/hasNoise}}</p>
        {{#sections}}
        <section class="report-section" id="{{id}}">
        <h2>{{title}}</h2>
        <p>{{explanation}}</p>
        {{#hasGroups}}
        <h3>Suggested changes</h3>
        <ul class="suggestions">
        {{#changes}}<li><code>{{directive}}</code>: {{advice}}</li>
        {{/changes}}
        </ul>
        <table class="reports">
        <thead><tr><th>Directive</th><th>Blocked</th><th>Count</th><th>Last seen</th><th>Page</th><th>Suggestion</th></tr></thead>
        <tbody>
        {{#groups}}<tr><td>{{directive}}</td><td>{{blockedURI}}</td><td class="n">{{count}}</td><td>{{lastSeen}}</td><td>{{documentURI}}</td><td>{{suggestion}}</td></tr>
        {{/groups}}
        </tbody>
        </table>
        {{/hasGroups}}
        {{^hasGroups}}<p>No reports.</p>{{/hasGroups}}
        </section>
        {{/sections}}
        {{> footer}}
        """

    static let error = """
        {{> header}}
        <h1>{{status}}</h1>
        <p class="error-message">{{message}}</p>
        {{#reloadPath}}<p class="reload">The form was too old: it expired, was sent already, or you signed in or out since it was opened. Nothing you typed was kept. <a id="reload-form" href="{{reloadPath}}">Reload the form</a> and send it again.</p>{{/reloadPath}}
        <p><a href="/">Back to the board</a></p>
        {{> footer}}
        """

    /// The stylesheet, served from `/static/board.css` (CSP `style-src 'self'`).
    static let stylesheet = """
        :root { color-scheme: light dark; --fg: #1b1f24; --bg: #ffffff; --muted: #59636e; --line: #d1d9e0; --accent: #0b5cad; --bad: #a40e26; --ok: #116329; }
        @media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #3d444d; --accent: #4493f8; --bad: #f85149; --ok: #3fb950; } }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
        header.top { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; justify-content: space-between; padding: 0.75rem 1.25rem; border-bottom: 1px solid var(--line); }
        header.top nav { display: flex; gap: 0.75rem; align-items: center; }
        .brand { font-weight: 700; text-decoration: none; color: var(--fg); }
        a { color: var(--accent); }
        main { max-width: 46rem; margin: 1.5rem auto; padding: 0 1.25rem; }
        form.inline { display: inline; }
        label { display: block; margin: 0.5rem 0 0.25rem; font-weight: 600; }
        input, textarea { width: 100%; padding: 0.45rem 0.6rem; font: inherit; color: inherit; background: transparent; border: 1px solid var(--line); border-radius: 6px; }
        button { margin-top: 0.5rem; padding: 0.4rem 0.9rem; font: inherit; border: 1px solid var(--line); border-radius: 6px; background: var(--accent); color: #fff; cursor: pointer; }
        form.inline button { margin-top: 0; background: transparent; color: var(--accent); }
        .search form { display: grid; grid-template-columns: 1fr auto; gap: 0 0.5rem; align-items: end; }
        .search label { grid-column: 1 / -1; }
        .card { border: 1px solid var(--line); border-radius: 8px; padding: 0.5rem 1rem 1rem; margin: 1rem 0; }
        .danger { border-color: var(--bad); }
        .danger button { background: var(--bad); }
        .comment-list { list-style: none; padding: 0; }
        .comment { border-bottom: 1px solid var(--line); padding: 0.5rem 0; }
        .comment .meta { margin: 0; color: var(--muted); font-size: 0.875rem; }
        .comment .body { margin: 0.25rem 0 0; white-space: pre-wrap; overflow-wrap: anywhere; }
        .flash { color: var(--ok); font-weight: 600; }
        .problem, .error-message { color: var(--bad); font-weight: 600; }
        .avatar { border-radius: 50%; object-fit: cover; }
        table.reports { border-collapse: collapse; width: 100%; font-size: 0.875rem; }
        table.reports th, table.reports td { border: 1px solid var(--line); padding: 0.3rem 0.5rem; text-align: left; overflow-wrap: anywhere; }
        td.n { text-align: right; }
        footer { max-width: 46rem; margin: 2rem auto; padding: 0 1.25rem; color: var(--muted); font-size: 0.875rem; }

        """
}
