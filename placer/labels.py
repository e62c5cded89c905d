"""Kubernetes label syntax, checked wherever placer reads a node selector.

A selector placer writes into a flow must be one Kubernetes (and Metaflow's
``"k=v,k2=v2"`` string form) reads back as the same labels: a value holding ``,`` or
``=`` would become two labels, a key with a space would make the flow unreadable. The
rules are Kubernetes' own (``IsQualifiedName`` / ``IsValidLabelValue``):

- key: an optional prefix, a DNS subdomain of at most 253 characters (lower case letters,
  digits, ``-`` and ``.``), then ``/``, then a name of at most 63 characters: letters,
  digits, ``-``, ``_`` and ``.``, starting and ending with a letter or digit;
- value: empty, or at most 63 characters of the same form as the name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
MAX_NAME = 63
# the node label Metaflow's @kubernetes(compute_pool=X) selects on (node_selector key)
COMPUTE_POOL_LABEL = "outerbounds.co/compute-pool"
MAX_PREFIX = 253
RULE = (
    "Kubernetes labels are [prefix/]name=value: name and value up to 63 letters, digits, "
    "'-', '_' or '.', starting and ending with a letter or digit; the prefix a DNS name"
)


def key_problem(key: object) -> str | None:
    """Why `key` is not a valid label key, or None."""
    if not isinstance(key, str) or not key:
        return f"label key {key!r} is empty or not text"
    prefix, slash, name = key.rpartition("/")
    if slash and (len(prefix) > MAX_PREFIX or not _SUBDOMAIN.fullmatch(prefix)):
        return f"label key {key!r} has an invalid prefix {prefix!r}"
    if len(name) > MAX_NAME or not _NAME.fullmatch(name):
        return f"label key {key!r} is not a valid label name"
    return None


def value_problem(value: object) -> str | None:
    """Why `value` is not a valid label value, or None."""
    if not isinstance(value, str):
        return f"label value {value!r} is not text"
    if value and (len(value) > MAX_NAME or not _NAME.fullmatch(value)):
        return f"label value {value!r} is not a valid label value"
    return None


def selector_problem(selector: Mapping[str, str] | Mapping[object, object]) -> str | None:
    """The first reason a selector is not valid Kubernetes labels, or None."""
    for key, value in selector.items():
        problem = key_problem(key) or value_problem(value)
        if problem:
            return problem
    return None
