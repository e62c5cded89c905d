"""Hostile names in a pull-request comment: every user-controlled string stays text.

The report is parsed back with markdown-it (CommonMark plus GFM tables and
strikethrough, raw HTML on, as GitHub renders comments) and every token is checked: the
only markup is placer's own, and each hostile string comes back as the literal text.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from fixtures.mermaid import parse_mermaid
from fixtures.plan.report_plans import plan, step
from markdown_it import MarkdownIt

from placer.output import escape as esc
from placer.output.report import render

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "[click](https://evil.example/x)",
    "![pixel](https://evil.example/p.png)",
    "@octocat and @github/security",
    "name`with`ticks``",
    "line\n# Heading\n\n<script>alert(1)</script>",
    "pipe | cell | split",
    "**bold** _em_ ~~strike~~ *x*",
    "</summary></details><b>out</b>",
    "see #123 and www.evil.example and https://evil.example",
    "&#64;entity &lt;b&gt;",
    '"quoted" end --> s_start\nclick s_start href "javascript:alert(1)"',
    "\x1b]0;title\x07\u202eevil",
    "```\ncode fence",
    "back\\slash\\",
]
WORD_JOINER = "\u2060"


def _hostile_plans():
    steps = {"start": step("aws-use1", "1", nxt=("end",))}
    for name in HOSTILE:
        warning = f"warning about {name}"
        steps[name] = step(name, "1", nxt=("end",), warnings=(warning,), reasons=(name,))
    steps["end"] = step("aws-use1", "1")
    flow = plan("Flow<b>@x`", steps, warnings=tuple(HOSTILE))
    flow = dataclasses.replace(
        flow,
        flow_file="flows/`evil` | [x](y)\n# h.py",
        pricing_source="<b>snapshot</b> @team",
        pricing_captured_at="[2026](https://evil.example)",
        objective="cost\n## injected",
    )
    base = dataclasses.replace(flow, steps={**flow.steps, "gone@x": step("<i>old</i>", "2")})
    return flow, base


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def _inline_children(tokens):
    for token in tokens:
        yield token
        yield from _inline_children(token.children or [])


def test_hostile_names_never_become_markup_in_a_github_comment():
    head, base = _hostile_plans()
    text = render(head, base, "github")
    tokens = list(_inline_children(_parser().parse(text)))
    kinds = {t.type for t in tokens}
    assert not kinds & {"link_open", "image"}, kinds
    # placer's own emphasis and strikethrough: the one removed step, its old pool struck
    spans = [
        (t.type, tokens[i + 1].content)
        for i, t in enumerate(tokens)
        if t.type in ("em_open", "s_open")
    ]
    assert spans == [("em_open", "(removed)"), ("s_open", "<i>old</i>")]
    html = [t.content.strip() for t in tokens if t.type in ("html_inline", "html_block")]
    ours = (
        "<!-- placer-report -->",
        "<details><summary>Details: ",
        "<sub>",
        "</sub>",
        "</details>",
    )
    assert all(h.startswith(ours) for h in html), html
    summary = next(h for h in html if h.startswith("<details>"))
    assert summary.count("<") == 3 and summary.endswith("</summary>")  # nothing opened inside
    headings = [t for t in tokens if t.type == "heading_open"]
    assert [t.tag for t in headings] == ["h2", "h3"]  # the headline and the one flow
    strong = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "strong_open"]
    # placer's own: the totals line, the flows table's Total row (4 cells) and the steps
    # table's (5 cells: name, compute, egress, total, change)
    assert len(strong) == 10 and strong.count("Total") == 2
    assert all(c == "Total" or c.lstrip("+-").startswith("$") for c in strong), strong
    # what GitHub would link in the rendered text: mentions, references, URLs
    plain = "".join(t.content for t in tokens if t.type == "text")
    for pattern in ("@octocat", "@github", "#123", "https://", "www.evil", "@x", "@team"):
        assert pattern not in plain, pattern


def test_hostile_names_come_back_as_the_literal_text():
    head, base = _hostile_plans()
    text = render(head, base, "markdown")
    rendered = _parser().render(text).replace(WORD_JOINER, "")
    for name in HOSTILE:  # every table cell, list item and note shows the name as written
        shown = esc.one_line(name).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        shown = shown.replace('"', "&quot;")
        assert shown in rendered, name


def test_a_code_span_holds_any_backticks_and_no_line_break():
    tokens = list(_inline_children(_parser().parse(esc.code("a``b`` ` c\nd"))))
    codes = [t.content for t in tokens if t.type == "code_inline"]
    assert codes == ["a``b`` ` c\\nd"]
    assert esc.code("`x`") == "`` `x` ``"


def test_mermaid_ids_and_labels_cannot_inject_statements():
    from placer.output.report._mermaid import mermaid

    head, _ = _hostile_plans()
    edges = {name: s.next for name, s in head.steps.items()}
    diagram = mermaid(head, edges)
    nodes, drawn, _ = parse_mermaid(diagram)  # every line is a node, an edge or a classDef
    assert len(nodes) == len(head.steps) and len(drawn) == len(HOSTILE) + 1
    labels = [label for label, _ in nodes.values()]
    assert all("<" not in label.replace("<br/>", "") for label in labels)
    assert "`" not in diagram  # a fence inside the ```mermaid block would end it


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("new_step", "new_step"),  # intraword underscores cannot emphasise
        ("_private_", "\\_private\\_"),
        ("a|b", "a\\|b"),
        ("<b>", "&lt;b&gt;"),
        ("@me", "@\u2060me"),
        ("a\nb", "a\\\\nb"),
    ],
)
def test_text_escapes_only_what_could_become_markup(value, expected):
    assert esc.text(value) == expected


def test_the_terminal_table_shows_markup_and_control_codes_as_text():
    head, base = _hostile_plans()
    table = render(head, base, "table", width=400)
    assert "[click](https://evil.example/x)" in table
    assert "\x1b" not in table and "\x07" not in table
    assert "\\u001b]0;title\\u0007\\u202eevil" in table


def test_money_is_untouched():
    head, _ = _hostile_plans()
    assert head.per_run.total == Decimal(len(HOSTILE) + 2)
