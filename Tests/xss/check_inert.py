"""Differential check of accepted templates rendered with hostile values (html5lib).

Each input line is JSON: {"template": name, "benign": html, "html": html, "vector": value}: the
same template rendered once with a harmless value and once with a hostile one. Parsed by a
real HTML5 parser, the hostile rendering must have exactly the benign rendering's elements and
attribute names (a value may change text, never structure), no event-handler attribute, no
script-capable URL in a URL attribute, and no refresh to such a URL.

Usage: python3 Tests/xss/check_inert.py RENDERED.jsonl   (exit 1 on any failure)
"""
import json
import re
import sys

import html5lib

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "srcset", "xlink:href", "cite", "data",
                  "background", "longdesc", "manifest", "ping", "codebase", "archive", "usemap", "icon"}
DANGEROUS = re.compile(r"^[\x00-\x20]*(javascript|vbscript|data)\s*:", re.IGNORECASE)


def structure(html):
    document = html5lib.parse(html, namespaceHTMLElements=False)
    return [(e.tag, tuple(sorted(e.attrib))) for e in document.iter() if isinstance(e.tag, str)], document


def problems(benign, html):
    shape, document = structure(html)
    benign_shape, _ = structure(benign)
    if shape != benign_shape:
        return f"structure changed: {benign_shape} -> {shape}"
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            if name.lower().startswith("on"):
                return f"event handler {name} on <{element.tag}>"
            cleaned = re.sub(r"[\t\n\r]", "", value)
            if name.lower() in URL_ATTRIBUTES and DANGEROUS.match(cleaned):
                return f"script URL in {element.tag}@{name}: {value!r}"
            if name.lower() == "srcdoc":
                return "srcdoc attribute"
        if element.tag == "meta" and element.attrib.get("http-equiv", "").lower() == "refresh":
            content = element.attrib.get("content", "")
            if re.search(r"url\s*=\s*['\"]?\s*(javascript|vbscript|data)\s*:", content, re.IGNORECASE):
                return f"refresh to a script URL: {content!r}"
    return None


def main():
    failures = 0
    count = 0
    with open(sys.argv[1], encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            count += 1
            problem = problems(record["benign"], record["html"])
            if problem:
                failures += 1
                print(f"INJECTION {record['template']}: {problem}: vector={record['vector']!r}")
    print(f"{count - failures} passed, {failures} failed")
    sys.exit(1 if failures or count == 0 else 0)


if __name__ == "__main__":
    main()
