"""Checks Rampart's rendered XSS corpus with a real HTML5 parser (html5lib).

Each input line is JSON: {"vector": ..., "html": ...}, where html is the fixed template
    <div class="text">V</div><p title="V">x</p><a href="V">y</a>
rendered with the vector V. The parse tree must be exactly those three elements with exactly
those attributes, the div holding text only and the title holding the vector, both unchanged
(escaping must lose nothing), and the href must not use a script-capable scheme.
Any extra element or attribute, or a dangerous URL, is an executable injection.

Usage: python3 Tests/xss/check_rendered.py RENDERED.jsonl   (exit 1 on any failure)
"""
import json
import re
import sys

import html5lib

DANGEROUS_SCHEME = re.compile(r"^[\x00-\x20]*([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
ALLOWED_SCHEMES = {"http", "https", "mailto"}


def normalise_newlines(value):
    return value.replace("\r\n", "\n").replace("\r", "\n")


def as_text(vector):
    """What an HTML5 parser keeps of text: newlines normalised, NUL dropped in body text."""
    return normalise_newlines(vector).replace("\x00", "")


def as_attribute(vector):
    """What an HTML5 parser keeps of an attribute value: newlines normalised, NUL as U+FFFD."""
    return normalise_newlines(vector).replace("\x00", "\ufffd")


def check(html, vector):
    fragment = html5lib.parseFragment(html, namespaceHTMLElements=False)
    elements = list(fragment.iter())[1:]  # skip the fragment root
    names = [e.tag for e in elements]
    if names != ["div", "p", "a"]:
        return f"elements {names}"
    div, p, a = elements
    if dict(div.attrib) != {"class": "text"}:
        return f"div attributes {dict(div.attrib)}"
    if list(div):
        return "div has child elements"
    if (div.text or "") != as_text(vector):
        return f"text changed: {div.text!r}"
    if set(p.attrib) != {"title"}:
        return f"p attributes {sorted(p.attrib)}"
    if p.attrib["title"] != as_attribute(vector):
        return f"attribute value changed: {p.attrib['title']!r}"
    if set(a.attrib) != {"href"}:
        return f"a attributes {sorted(a.attrib)}"
    href = re.sub(r"[\t\n\r]", "", a.attrib["href"])
    match = DANGEROUS_SCHEME.match(href)
    if match and match.group(1).lower() not in ALLOWED_SCHEMES and href != "about:invalid#rampart":
        return f"href scheme {match.group(1)!r}"
    return None


def main():
    failures = 0
    count = 0
    with open(sys.argv[1], encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            count += 1
            problem = check(record["html"], record["vector"])
            if problem:
                failures += 1
                print(f"INJECTION {problem}: vector={record['vector']!r} html={record['html']!r}")
    print(f"{count - failures} passed, {failures} failed")
    sys.exit(1 if failures or count == 0 else 0)


if __name__ == "__main__":
    main()
