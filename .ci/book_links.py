#!/usr/bin/env python3
"""Fails on a broken internal link in a built mdBook.

Usage: book_links.py BOOK_DIR REPO_ROOT [MARKDOWN_FILE ...]

Reads every .html file under BOOK_DIR (mdbook's output, where relative `.md` links have become
`.html`) and checks each `href`/`src` that is not a web link:
  - the file it names exists: inside the book, or elsewhere in the repository (a chapter may link
    to `../../schemas/…`, which resolves from docs/book/ as from docs/src/); a link that leaves
    REPO_ROOT is broken;
  - its `#fragment`, when it points into an HTML page, is an `id` (or `<a name>`) on that page,
    so a link to a heading that was renamed or moved to another chapter fails too.
Each MARKDOWN_FILE (README.md, which links into the book's sources) has its relative
`[text](path)` links checked for the file only: GitHub makes its own heading anchors.
Prints each broken link as `page: link (reason)` and exits 1 if there is any, 0 otherwise.

mdbook 0.5 has no link check of its own, and the mdbook-linkcheck(2) backend builds reqwest,
tokio and a second mdbook (and does not check fragments); this needs only Python's standard
library, which CI already uses for .ci/asl_cross_check.py and .ci/sls_resolve.py.
"""

import os
import re
import sys
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

# Attributes that point at another document or resource.
LINK_ATTRIBUTES = {"href", "src"}
# An inline Markdown link or image: `[text](target)` / `![alt](target)`, target without spaces.
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")
# Schemes (and scheme-relative `//host`) that leave the book: not checked, CI has no network.
EXTERNAL_SCHEMES = {"http", "https", "mailto", "data", "javascript", "ftp"}


class Page(HTMLParser):
    """The anchors a page defines and the links it makes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.links = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value)
            elif name in LINK_ATTRIBUTES:
                self.links.append(value)

    handle_startendtag = handle_starttag


def parse(path):
    page = Page()
    with open(path, encoding="utf-8") as f:
        page.feed(f.read())
    page.close()
    return page


def main(argv):
    if len(argv) < 3:
        print("usage: book_links.py BOOK_DIR REPO_ROOT [MARKDOWN_FILE ...]", file=sys.stderr)
        return 2
    book = os.path.realpath(argv[1])
    repo = os.path.realpath(argv[2])
    if not os.path.isdir(book):
        print(f"book_links.py: {book} is not a folder (build the book first)", file=sys.stderr)
        return 2

    pages = {}
    for folder, _, files in os.walk(book):
        for name in files:
            if name.endswith(".html"):
                path = os.path.join(folder, name)
                pages[path] = parse(path)
    if not pages:
        print(f"book_links.py: no HTML page under {book}", file=sys.stderr)
        return 2

    broken = []
    checked = 0
    for path, page in sorted(pages.items()):
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme in EXTERNAL_SCHEMES or parts.netloc:
                continue
            checked += 1
            target_path = unquote(parts.path)
            if not target_path:
                target = path
            elif target_path.startswith("/"):
                # Only mdbook's 404 page uses root-relative links (from `site-url`, default "/").
                target = os.path.realpath(os.path.join(book, target_path.lstrip("/")))
            else:
                target = os.path.realpath(os.path.join(os.path.dirname(path), target_path))
            if target != repo and not target.startswith(repo + os.sep):
                broken.append((path, link, "leaves the repository"))
                continue
            if os.path.isdir(target):
                target = os.path.join(target, "index.html")
            if not os.path.exists(target):
                broken.append((path, link, "no such file"))
                continue
            fragment = unquote(parts.fragment)
            if fragment and target.endswith(".html"):
                anchors = pages[target].ids if target in pages else parse(target).ids
                if fragment not in anchors:
                    broken.append((path, link, f"no anchor `{fragment}` on that page"))

    for markdown in argv[3:]:
        path = os.path.realpath(markdown)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for link in MARKDOWN_LINK.findall(text):
            parts = urlsplit(link)
            if parts.scheme in EXTERNAL_SCHEMES or parts.netloc or not parts.path:
                continue
            checked += 1
            target = os.path.realpath(os.path.join(os.path.dirname(path), unquote(parts.path)))
            if not os.path.exists(target):
                broken.append((path, link, "no such file"))

    for path, link, reason in broken:
        print(f"{os.path.relpath(path, repo)}: {link} ({reason})")
    print(
        f"book links: {checked} internal links in {len(pages)} pages and {len(argv) - 3} Markdown files checked, "
        f"{len(broken)} broken"
    )
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
