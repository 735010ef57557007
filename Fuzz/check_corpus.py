#!/usr/bin/env python3
"""Differential checks of the fuzz corpora against reference implementations.

Some properties need a real HTML parser or a real URL parser, which the fuzz targets cannot call.
This script replays each corpus through its fuzz target with RAMPART_FUZZ_DUMP set (the target
writes one JSON line per input it handled: what it was given and what Rampart did), then checks
those lines:

- HTML.escape (FuzzHTMLEscape): `<p title="ESCAPED">ESCAPED</p>` parsed by html5lib gives the
  input back, both as the attribute value and as the text (after the HTML input-stream
  preprocessing: CR LF and CR become LF, NUL is dropped in text and becomes U+FFFD in attributes).
- SafeURL (FuzzSafeURL): an accepted URL, put in `<a href="…">` as Rampart renders it (escaped by
  HTML.escape) and parsed by html5lib, then resolved by ada-url (the WHATWG URL parser) against
  https://example.com/, has the protocol http:, https: or mailto: (or does not parse, which
  navigates nowhere). The same is checked with the URL inserted unescaped, which SafeURL's
  documentation also promises (it decodes character references "as the HTML parser would").
- TemplateContextCheck (FuzzTemplateContext): an accepted template, rewritten, with every variable
  rendered as an escaped hostile value and parsed by html5lib, has each value only in text or in a
  quoted attribute value: never inside script, style or another raw-text element, never as an
  element or attribute it created, never in an on* or style attribute. A value in a comment is
  reported as a divergence (not exploitable once escaped, but the check says it refuses comments).
- Form decoding (FuzzURLEncodedForm): `formQueryValue(name)` equals ada-url's
  `URLSearchParams.get(name)` on the same query.

Usage: check_corpus.py --bin Fuzz/.build/release --corpus DIR [--out DIR]
where DIR holds one sub-directory per target (as Fuzz/corpus, or the copies run.sh fuzzes).
Needs html5lib and ada-url (`pip install html5lib ada-url`); a check whose module is missing is
skipped with a notice. Exits 1 when a check fails.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

try:
    import html5lib
except ImportError:  # pragma: no cover - reported below
    html5lib = None
try:
    import ada_url
except ImportError:  # pragma: no cover - reported below
    ada_url = None

if ada_url is not None:
    # ada-url's Python binding decodes its results strictly; a percent-decoded form value may be
    # invalid UTF-8, which the URL Standard decodes with U+FFFD replacement (as Python's "replace").
    from ada_url import ada_adapter as _ada_adapter

    def _get_str_replacing(x):
        return bytes(_ada_adapter.ffi.buffer(x.data, x.length)).decode("utf-8", "replace") if x.length else ""

    _ada_adapter._get_str = _get_str_replacing

ALLOWED_PROTOCOLS = {"http:", "https:", "mailto:"}
DANGEROUS_PROTOCOLS = {"javascript:", "vbscript:", "data:", "file:", "blob:", "filesystem:"}
RAW_TEXT = {"script", "style", "xmp", "iframe", "noembed", "noframes", "plaintext", "noscript"}


def dump(binary, corpus, out):
    """Runs every corpus file through the target once and returns the JSON lines it wrote."""
    path = os.path.join(out, os.path.basename(binary) + ".jsonl")
    if os.path.exists(path):
        os.remove(path)
    env = dict(os.environ, RAMPART_FUZZ_DUMP=path, SWIFT_BACKTRACE="enable=no")
    subprocess.run([binary, "-runs=0", corpus], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    records, seen = [], set()
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line not in seen:
                    seen.add(line)
                    records.append(json.loads(line))
    return records


def escape(text):
    """Rampart's HTML.escape."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def parse_fragment(html):
    return html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False)


def local(tag):
    """An element's or attribute's name without its `{namespace}` prefix. Only a leading `{`
    starts one: `scri}xmp` is a (bogus) element named so, not `xmp`."""
    if not isinstance(tag, str):
        return None
    if tag.startswith("{") and "}" in tag:
        tag = tag.split("}", 1)[1]
    return tag.lower()


def preprocess(text):
    return text.replace("\r\n", "\n").replace("\r", "\n")


def check_html(records, failures):
    for r in records:
        source, escaped = r["input"], r["escaped"]
        doc = parse_fragment(f'<p title="{escaped}">{escaped}</p>')
        p = doc.find(".//p")
        want = preprocess(source)
        title = p.get("title")
        text = "".join(p.itertext())
        if title != want.replace("\x00", "\ufffd"):
            failures.append(("html-attribute", f"input {source!r}: attribute read back as {title!r}"))
        if text != want.replace("\x00", ""):
            failures.append(("html-text", f"input {source!r}: text read back as {text!r}"))
        if len(list(p)) != 0:
            failures.append(("html-markup", f"input {source!r}: escaped text created elements"))


def protocol_of(href):
    # html5lib keeps a surrogate from a character reference such as &#xD800; where browsers put
    # U+FFFD (HTML §13.2.5.80).
    href = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in href)
    try:
        return ada_url.URL(href, base="https://example.com/").protocol
    except ValueError:
        return None  # not a valid URL: nothing to navigate to


def check_safe_url(records, failures):
    for r in records:
        if r["refused"] == "1":
            if r["value"] != "about:invalid#rampart":
                failures.append(("safeurl-refused", f"refused {r['input']!r} became {r['value']!r}"))
            continue
        value = r["value"]
        for mode, attribute in (("escaped", escape(value)), ("unescaped", value.replace('"', "&quot;"))):
            doc = parse_fragment(f'<a href="{attribute}">x</a>')
            a = doc.find(".//a")
            if a is None:
                continue
            href = a.get("href")
            protocol = protocol_of(href)
            if protocol is not None and protocol not in ALLOWED_PROTOCOLS:
                kind = "dangerous" if protocol in DANGEROUS_PROTOCOLS else "other"
                failures.append((f"safeurl-{mode}-{kind}", f"accepted {value!r}: a browser reads href {href!r} with protocol {protocol}"))


def render(rewrite, neutral=False):
    """Renders the rewritten template with a hostile value per variable (or, with `neutral`, a
    plain word); returns (html, count)."""
    out, i, n = [], 0, 0
    while i < len(rewrite):
        if rewrite.startswith("{{", i):
            triple = rewrite.startswith("{{{", i)
            close = "}}}" if triple else "}}"
            end = rewrite.find(close, i + (3 if triple else 2))
            if end < 0:
                out.append(rewrite[i:])
                break
            inner = rewrite[i + (3 if triple else 2):end].lstrip(" ")
            if triple or (inner[:1] not in ("!", "#", "^", "/", "$", "<", ">", "=", "%")):
                out.append("neutral" if neutral else escape(f"XSS{n}\" onx{n}=1 '<b id=xss{n}>"))
                n += 1
            i = end + len(close)
        else:
            out.append(rewrite[i])
            i += 1
    return "".join(out), n


def check_template(records, failures):
    for r in records:
        html, count = render(r["rewrite"])
        if count == 0:
            continue
        doc = parse_fragment(html)
        where = f"template {r['template']!r}"
        # Element and attribute names the template has of its own (rendered with plain words):
        # a fuzzed template may itself name an attribute `onx` or an element `xss`.
        own_elements, own_attributes = set(), set()
        for element in parse_fragment(render(r["rewrite"], neutral=True)[0]).iter():
            if not callable(element.tag):
                own_elements.add(local(element.tag))
                own_attributes.update(local(attribute) or "" for attribute in element.attrib)

        def visit(element, ancestors):
            name = local(element.tag)
            if callable(element.tag):  # a comment (or processing instruction)
                if element.text and "XSS" in element.text:
                    failures.append(("template-comment-divergence", f"{where}: a value lands in a comment"))
                return
            if name and (("xss" in name and name not in own_elements) or element.get("id", "").startswith("xss")):
                failures.append(("template-markup", f"{where}: a value created the element <{name}>"))
            for attribute, value in element.attrib.items():
                attribute_name = local(attribute) or ""
                if ("xss" in attribute_name or attribute_name.startswith("onx")) and attribute_name not in own_attributes:
                    failures.append(("template-attribute", f"{where}: a value created the attribute {attribute_name}"))
                if "XSS" in value and (attribute_name.startswith("on") or attribute_name == "style"):
                    failures.append(("template-handler", f"{where}: a value lands in the {attribute_name} attribute"))
            if element.text and "XSS" in element.text and name in RAW_TEXT:
                failures.append(("template-raw-text", f"{where}: a value lands inside <{name}>, rendered {html!r}"))
            for child in element:
                visit(child, ancestors + [name])
                if child.tail and "XSS" in child.tail and name in RAW_TEXT:
                    failures.append(("template-raw-text", f"{where}: a value lands inside <{name}>"))

        visit(doc, [])


def check_form(records, failures):
    for r in records:
        params = ada_url.URLSearchParams("?" + r["query"])
        # ada keeps names as bytes; compare them decoded (U+FFFD for invalid UTF-8), as the URL
        # Standard's parser does, and by code points.
        reference = next((value for key, value in params.items() if key == r["name"]), None)
        value = None if r["value"] == "\u0000none" else r["value"]
        if value != reference:
            failures.append(("form", f"query {r['query']!r}: {r['name']!r} is {value!r}, URLSearchParams gives {reference!r}"))


CHECKS = [
    ("FuzzHTMLEscape", check_html, ["html5lib"]),
    ("FuzzSafeURL", check_safe_url, ["html5lib", "ada_url"]),
    ("FuzzTemplateContext", check_template, ["html5lib"]),
    ("FuzzURLEncodedForm", check_form, ["ada_url"]),
]

# Disagreements that are reported but do not fail the run (unless RAMPART_FUZZ_KNOWN_ISSUES=fail):
# known issues not fixed yet, and informational ones (see Fuzz/README.md).
KNOWN = {
    # Informational: a value inside a bogus comment (`<!x …>`) cannot end it once escaped.
    "template-comment-divergence",
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", required=True, help="directory with the built fuzz targets")
    parser.add_argument("--corpus", required=True, help="directory with one corpus directory per target")
    parser.add_argument("--out", default=None, help="where to write the dumps and check_corpus.txt")
    args = parser.parse_args()
    out = args.out or tempfile.mkdtemp(prefix="rampart-check-")
    os.makedirs(out, exist_ok=True)
    modules = {"html5lib": html5lib, "ada_url": ada_url}
    failures, lines = [], []
    for target, check, needs in CHECKS:
        missing = [m for m in needs if modules[m] is None]
        if missing:
            lines.append(f"{target}: skipped, missing {', '.join(missing)} (pip install html5lib ada-url)")
            continue
        corpus = os.path.join(args.corpus, target)
        if not os.path.isdir(corpus):
            lines.append(f"{target}: no corpus at {corpus}")
            continue
        records = dump(os.path.join(args.bin, target), corpus, out)
        before = len(failures)
        check(records, failures)
        lines.append(f"{target}: {len(records)} inputs checked, {len(failures) - before} disagreements")
    strict = os.environ.get("RAMPART_FUZZ_KNOWN_ISSUES") == "fail"
    blocking = [f for f in failures if strict or f[0] not in KNOWN]
    report = lines + [f"[{kind}] {detail}" for kind, detail in failures]
    with open(os.path.join(out, "check_corpus.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(report) + "\n")
    for line in lines:
        print(line)
    kinds = {}
    for kind, detail in failures:
        kinds.setdefault(kind, []).append(detail)
    for kind, details in sorted(kinds.items()):
        note = " (known)" if kind in KNOWN and not strict else ""
        print(f"  {kind}{note}: {len(details)}, e.g. {details[0][:300]}")
    return 1 if blocking else 0


if __name__ == "__main__":
    sys.exit(main())
