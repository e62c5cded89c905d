"""The placement optimizer: from a flow, a config and prices to a Plan.

Entries: :func:`plan_flow` does everything (validate, price, solve, compare, assemble the
Plan); :func:`optimize` is the solver's one entry, for a built :class:`Space`.

What it is: a pipeline whose steps up to the Space are pure functions, then a solve that
keeps state for speed inside one call (a Problem grows as capacity rounds append rows;
HiGHS models stay open between re-solves; the greedy repair updates its placement move by
move). No module reads a file or prints; pulp, highspy and numpy are imported only when
solving. Modules, in the order data flows (each imports only modules above it):

- ``demand``: what each step asks for (pod size, tasks, waves, data).
- ``offers``: the cheapest instance type that fits a pod in a pool, and its share.
- ``egress``: data moved to and from the datastore, and its tiered price.
- ``space``: :class:`Space`, every eligible (step, pool) :class:`Option` with its cost,
  time and load.
- ``antichain``: the peak concurrent load of steps on a pool (a max flow); ``evaluate``:
  price and check any placement against the Space (the judge of everything below).
- ``problem``: the ILP as a :class:`~placer.optimize.problem.Problem` with typed keys.
- ``rounding``: the LP relaxation's plan rounded, with a proven bound (``_peak_lp``).
- ``solve``: :func:`optimize`: the direct answer, the LP rounding, or the MIP with
  capacity cut rounds; the status and gap, honestly.
- ``baselines``: as written and greedy (its repair in ``_repair``).
- ``diagnose``: why no plan exists, in one line. ``build``: the Plan from a placement.
- ``planner``: :func:`plan_flow`, all of the above in order (:func:`plan_space` on a
  Space already built).
- ``verdict`` and ``explain``: for each step, every pool and why it lost to the plan's
  (`placer explain`): bounds first, re-solves with the step pinned (:func:`optimize`).

Engines, and why each:

- HiGHS through highspy (``_highs``, ``_peak_lp``), the default: the MIP and every LP. It
  runs in-process, takes the model in bulk, and keeps it open: rows are appended and the
  dual simplex restarts from the last basis, which the rounding's many re-solves need.
- CBC through pulp (``_pulp``), only on request (``solver="cbc"``, ``--solver cbc``): a
  second opinion when HiGHS misbehaves. pulp also writes the LP file of ``--debug``.
- A max flow written in Python (``antichain``): the peak of a fixed placement, asked for
  thousands of times by the checks and the greedy repair on networks small enough that
  calling a solver costs more than the answer (a HiGHS LP as its first flow was measured
  and did not pay on the benchmarks).
"""

from placer.optimize.planner import check_names, market_from_catalog, plan_flow
from placer.optimize.solve import Solution, optimize
from placer.optimize.space import Market, Option, Space, build_space

__all__ = [
    "Market",
    "Option",
    "Solution",
    "Space",
    "build_space",
    "check_names",
    "market_from_catalog",
    "optimize",
    "plan_flow",
]
