"""Escaping user-controlled strings for the context they are shown in.

In CI, flow, step, pool and file names, warnings and a plan's own fields come from a pull
request, and the report is posted as a GitHub comment. Each function makes a string inert
in one context, so it always reads as the text it is and never as markup:

- :func:`text`: Markdown inline text (headings, paragraphs, list items, table cells):
  no HTML, links, images, emphasis, headings, @mentions or autolinks.
- :func:`code`: an inline code span, whatever backticks the string holds.
- :func:`html`: text inside raw HTML (``<details><summary>``).
- :func:`mermaid_label` and :func:`mermaid_id`: a Mermaid node's label and id.
- :func:`one_line`: a single line without control characters (terminals, error messages).
"""

from __future__ import annotations

import hashlib
import html as _html
import re

from placer.errors import printable

# Markdown punctuation that can start markup inline: emphasis, code spans, links and
# images, table cells, strikethrough (a CommonMark backslash escape works for each). An
# underscore between two letters or digits cannot (CommonMark's flanking rules), so
# `new_step` stays as written.
_MARKDOWN = re.compile(r"([\\`*\[\]|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
# What GitHub links in plain text: @mentions, #123 references, URLs and www. addresses.
# An invisible word joiner inside each keeps it plain text.
_WORD_JOINER = "\u2060"
_LINKING = re.compile(r"(?i)(@|#(?=\d)|:(?=//)|\bwww(?=\.))")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MERMAID = {'"': "#quot;", "<": "#lt;", ">": "#gt;", "#": "#35;", "&": "#38;", "`": "#96;"}


def one_line(value: object) -> str:
    """The string on one line: each control character shown as an escape (``\\n``)."""
    return printable(str(value))


def text(value: object) -> str:
    """Markdown inline text that renders as exactly these characters, and nothing more."""
    escaped = _html.escape(one_line(value), quote=False)  # & < > : no HTML, no entities
    escaped = _MARKDOWN.sub(r"\\\1", escaped)
    return _unlinked(escaped)


def _unlinked(value: str) -> str:
    return _LINKING.sub(lambda m: m.group(0) + _WORD_JOINER, value)


def code(value: object, in_table: bool = False) -> str:
    """An inline code span holding the string literally (backticks and all).

    The fence is one backtick longer than the longest run inside; a space pads content
    that starts or ends with a backtick or a space (CommonMark strips one of each). In a
    table cell a pipe still ends the cell, so it is escaped there (GFM's rule).
    """
    content = one_line(value)
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    fence = "`" * (longest + 1)
    if content[:1] in ("`", " ") or content[-1:] in ("`", " "):
        content = f" {content} "
    if in_table:
        content = content.replace("|", "\\|")
    return f"{fence}{content}{fence}"


def html(value: object) -> str:
    """Text inside raw HTML: entities for ``& < > " '``, no line breaks, no @mentions."""
    return _unlinked(_html.escape(one_line(value), quote=True))


def mermaid_label(value: object) -> str:
    """A node label inside ``["..."]``: quotes, HTML, entities and backticks as entity codes."""
    return "".join(_MERMAID.get(ch, ch) for ch in one_line(value))


def mermaid_id(name: str) -> str:
    """A node id: ``s_<step>`` for an identifier, else ``h_<hash>`` (ids are never markup)."""
    if _IDENTIFIER.match(name):
        return f"s_{name}"
    return f"h_{hashlib.sha256(name.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}"
