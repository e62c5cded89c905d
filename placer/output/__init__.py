"""Everything placer shows: tables for terminals, Markdown, JSON, and money strings.

The CLI parses arguments, calls the library, and hands the results here; every view is a
pure function of values (a Plan, Pools, a Catalog, a ClusterStatus...) returning text,
JSON-ready data or rich renderables, which only the CLI prints. Money is written by
:mod:`placer.money` (one rule: half-up, cents shown, a hundredth of a cent kept).

Modules (rich is imported inside functions, so importing this package stays light)::

    table      the one table style (new_table, plain_table) and to_text for fixed widths
    plan       `placer plan`: plan_view (step table, totals, savings, solver, warnings)
    report     `placer report` and `plan --format markdown`: render(plans, base, fmt)
    pools      `placer pools list|discover`, `placer status`: tables and JSON
    pricing    `placer pricing info|show|refresh`: tables and JSON
    graph      `placer graph`: the step table, placement lines, the flow's JSON
    learn      `placer learn`: the per-step table of past runs, --write/--check lines, JSON
    explain    `placer explain`: per step, every pool's costs and verdict; JSON
    frontier   `placer frontier`: the cheapest plan per deadline; JSON
    plot       pictures (matplotlib, Agg, imported only when drawing): the plan's DAG,
               cost bars, the frontier, as PNG or SVG bytes
"""

from __future__ import annotations

from placer.output.report import render

__all__ = ["render"]
