"""The on-disk form of the pricing catalog: one JSON table per cloud, for offers and egress.

The embedded snapshot (``pricing/data/``) and the local cache (:func:`cache_dir`) share
this format, so a refresh writes exactly what the snapshot ships. Offers are stored per
region as compact rows under a ``columns`` header; each region's rows are one JSON text
inside the document, parsed (and validated) only when that region is first used, so a
cache of ~80,000 offers loads in a few milliseconds and planning a few regions parses only
those (format 2)::

    {"format_version": 2, "cloud": "aws", "captured_at": "2026-11-20T07:00:00Z",
     "sources": ["..."], "columns": ["region", "instance_type", ...],
     "regions": {"us-east-1": {"count": 812, "crc32": 123, "oldest": "2025-03-02",
                               "undated": true, "rows": "[[...], ...]"}, ...}}

``oldest`` is the region's oldest ``observed_at`` (an upper bound of the price dates) and
``undated`` says whether some row has no lower bound (``observed_earliest``). Format 1
(``"rows": [[...], ...]`` at the top level) is still read.

Egress tables (``egress-<cloud>.json``) are described in :func:`save_egress`. A path ending
in ``.gz`` is read and written gzipped. Writes are atomic (temp file in the same directory,
fsync, ``os.replace``); a corrupt file raises :class:`PricingError` naming it.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import math
import os
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from operator import itemgetter
from pathlib import Path
from typing import Any

from placer.errors import PricingError
from pricing._model import CLOUDS, Offer

FORMAT_VERSION = 2
READ_VERSIONS = (1, 2)
GB_PER_GIB = 1.073741824  # 2**30 / 10**9: GCP prices per GiB, AWS and Azure per GB

OFFER_COLUMNS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Offer))
REQUIRED_COLUMNS = ("region", "instance_type", "vcpus", "memory_gib", "usd_per_hour")
_NUMERIC_COLUMNS = ("vcpus", "memory_gib", "usd_per_hour", "spot_usd_per_hour", "gpu_count")


# ---------------------------------------------------------------------------- locations


def cache_dir() -> Path:
    """Where refreshed prices live: ``$PLACER_CACHE_DIR``, else ``$XDG_CACHE_HOME/placer``,
    else ``~/.cache/placer``."""
    explicit = os.environ.get("PLACER_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "placer"


CURRENT = "current"  # the cache's symlink to the generation in use


def live_dir(directory: Path | None = None) -> Path:
    """Where the cache's tables are now: the generation ``<cache>/current`` points at (the
    one the last refresh switched to), else ``<cache>`` itself (a cache written before
    generations, or by hand).

    The link is resolved here, once: a reader that takes every table from the directory
    this returns sees one refresh's tables even if another refresh switches meanwhile
    (the previous generation is kept until the next switch after that)."""
    root = directory or cache_dir()
    current = root / CURRENT
    return Path(os.path.realpath(current)) if current.is_dir() else root


def offers_path(cloud: str, directory: Path | None = None) -> Path:
    """The cache file of one cloud's offers, ``<live dir>/offers-<cloud>.json``."""
    return live_dir(directory) / offers_name(cloud)


def egress_path(cloud: str, directory: Path | None = None) -> Path:
    """The cache file of one cloud's egress rates, ``<live dir>/egress-<cloud>.json``."""
    return live_dir(directory) / egress_name(cloud)


def offers_name(cloud: str) -> str:
    return f"offers-{cloud}.json"


def egress_name(cloud: str) -> str:
    return f"egress-{cloud}.json"


# ---------------------------------------------------------------------------- offers


@dataclass(frozen=True)
class Table:
    """One cloud's offers as read from a file, with when and where they came from."""

    cloud: str
    captured_at: str  # ISO 8601, UTC
    sources: tuple[str, ...]
    offers: tuple[Offer, ...]
    path: Path | None = None


def save_table(
    path: Path | str,
    cloud: str,
    captured_at: str,
    sources: Iterable[str],
    offers: Iterable[Offer],
) -> Path:
    """Write one cloud's offers atomically (format 2); every offer must belong to ``cloud``."""
    path = Path(path)
    columns = [name for name in OFFER_COLUMNS if name != "cloud"]
    by_region: dict[str, list[Offer]] = {}
    for offer in offers:
        if offer.cloud != cloud:
            raise ValueError(f"offer {offer.instance_type} is {offer.cloud}, table is {cloud}")
        by_region.setdefault(offer.region, []).append(offer)
    regions = {}
    for region in sorted(by_region):
        chosen = by_region[region]
        text = json.dumps(
            [[getattr(o, name) for name in columns] for o in chosen], separators=(",", ":")
        )
        regions[region] = {
            "count": len(chosen),
            "crc32": zlib.crc32(text.encode()),
            "oldest": min((o.observed_at for o in chosen), key=_date_key),
            # a row with no observed_at is dated by captured_at, exactly
            "undated": any(o.observed_at and not o.observed_earliest for o in chosen),
            "rows": text,
        }
    document = {
        "format_version": FORMAT_VERSION,
        "cloud": cloud,
        "captured_at": captured_at,
        "sources": list(sources),
        "columns": columns,
        "regions": regions,
    }
    write_json_atomic(path, document)
    return path


def _date_key(text: str) -> str:
    """Sort key of an ISO date or datetime ("" sorts last: no date known)."""
    return text or "9999"


@dataclass(frozen=True)
class Block:
    """One region's rows in a table file: counted and dated in the header, parsed on use."""

    count: int
    oldest: str  # the oldest observed_at of its rows ("" = none)
    undated: bool  # some dated row has no observed_earliest (its true date is unknown)
    text: str | None = None  # the rows as JSON text (format 2), None once parsed
    crc32: int | None = None


class Rows:
    """A validated offers file whose rows are not Offers yet (see :meth:`offers`).

    Rows are kept per region and checked (CRC-32), parsed and validated on first use
    (:meth:`region_rows`): a refreshed cache can hold tens of thousands of rows while
    planning reads a few regions.
    """

    def __init__(
        self,
        cloud: str,
        captured_at: str,
        sources: tuple[str, ...],
        columns: tuple[str, ...],
        blocks: dict[str, Block],
        path: Path | None = None,
        parsed: dict[str, list[list[Any]]] | None = None,
    ) -> None:
        self.cloud, self.captured_at, self.sources = cloud, captured_at, sources
        self.columns, self.path = columns, path
        self.blocks = blocks
        self._parsed: dict[str, list[list[Any]]] = dict(parsed or {})

    @property
    def count(self) -> int:
        return sum(block.count for block in self.blocks.values())

    def regions(self) -> tuple[str, ...]:
        return tuple(sorted(self.blocks))

    def region_rows(self, region: str) -> list[list[Any]]:
        """One region's rows, parsed and validated on first use (PricingError if corrupt)."""
        if region not in self._parsed:
            block = self.blocks.get(region)
            if block is None:
                return []
            path = self.path or Path("<table>")
            text = block.text or "[]"
            if block.crc32 is not None and zlib.crc32(text.encode()) != block.crc32:
                raise _corrupt(path, f"region {region!r} rows do not match their checksum")
            try:
                rows = json.loads(text)
            except json.JSONDecodeError as exc:
                raise _corrupt(path, f"region {region!r} rows are not JSON ({exc})") from None
            if not isinstance(rows, list) or len(rows) != block.count:
                raise _corrupt(path, f"region {region!r} does not have {block.count} rows")
            _check_rows(path, self.cloud, list(self.columns), rows)
            at = self.columns.index("region")
            if any(row[at] != region for row in rows):
                raise _corrupt(path, f"a row filed under {region!r} is in another region")
            self._parsed[region] = rows
        return self._parsed[region]

    @property
    def rows(self) -> list[list[Any]]:
        """Every row (parses every region)."""
        return [row for region in self.regions() for row in self.region_rows(region)]

    def offers(self, rows: list[list[Any]] | None = None) -> tuple[Offer, ...]:
        """Offers for ``rows`` (default: all), filled without calling ``Offer.__init__``."""
        columns, chosen = list(self.columns), self.rows if rows is None else rows
        new, assign = object.__new__, object.__setattr__
        offers = []
        if set(columns) | {"cloud"} == set(OFFER_COLUMNS):  # every field stored: one dict
            names, cloud = ["cloud", *columns], [self.cloud]
            for row in chosen:
                offer = new(Offer)
                assign(offer, "__dict__", dict(zip(names, cloud + row, strict=True)))
                offers.append(offer)
            return tuple(offers)
        base = {**_OFFER_DEFAULTS, "cloud": self.cloud, "observed_at": self.captured_at}
        for row in chosen:
            offer, values = new(Offer), dict(base)
            values.update(zip(columns, row, strict=True))
            assign(offer, "__dict__", values)
            offers.append(offer)
        return tuple(offers)


def load_table(path: Path | str) -> Table:
    """Read one cloud's offers; raises PricingError naming the file if it is corrupt."""
    rows = read_rows(path)
    return Table(rows.cloud, rows.captured_at, rows.sources, rows.offers(), rows.path)


def read_rows(path: Path | str) -> Rows:
    """Read and validate one cloud's offers file; format 2 regions are parsed on use."""
    path = Path(path)
    document = _read_document(path)
    cloud, captured_at, sources = _header(path, document)
    columns = document.get("columns")
    if not isinstance(columns, list):
        raise _corrupt(path, "'columns' must be a list")
    if document["format_version"] == 1:
        return _rows_v1(path, document, cloud, captured_at, sources, columns)
    _check_columns(path, [*columns, "cloud"])
    regions = document.get("regions")
    if not isinstance(regions, dict):
        raise _corrupt(path, "'regions' must be a mapping")
    blocks = {}
    for region, raw in regions.items():
        try:
            text, count, crc = raw["rows"], raw["count"], raw["crc32"]
            oldest, undated = raw.get("oldest", ""), bool(raw.get("undated", False))
        except (KeyError, TypeError):
            raise _corrupt(path, f"region {region!r} lacks rows, count or crc32") from None
        if not isinstance(text, str) or type(count) is not int or type(crc) is not int:
            raise _corrupt(path, f"region {region!r} lacks rows, count or crc32")
        blocks[region] = Block(count, oldest if isinstance(oldest, str) else "", undated, text, crc)
    return Rows(cloud, captured_at, sources, tuple(columns), blocks, path)


def _rows_v1(
    path: Path, document: dict, cloud: str, captured_at: str, sources: tuple[str, ...],
    columns: list[Any],
) -> Rows:  # fmt: skip
    """A format 1 file (one "rows" list): validated whole, then grouped by region."""
    rows = document.get("rows")
    if not isinstance(rows, list):
        raise _corrupt(path, "'columns' and 'rows' must be lists")
    _check_rows(path, cloud, columns, rows)
    region_at = columns.index("region")
    dated = columns.index("observed_at") if "observed_at" in columns else None
    earliest = columns.index("observed_earliest") if "observed_earliest" in columns else None
    grouped: dict[str, list[list[Any]]] = {}
    for row in rows:
        grouped.setdefault(row[region_at], []).append(row)
    blocks = {}
    for region, chosen in grouped.items():
        dates = [row[dated] or captured_at for row in chosen] if dated is not None else []
        oldest = min(dates, key=_date_key) if dates else captured_at
        undated = (  # format 1 had no lower bound: its observed_at was the observation
            earliest is not None
            and dated is not None
            and any(row[dated] and not row[earliest] for row in chosen)
        )
        blocks[region] = Block(len(chosen), oldest, undated)
    return Rows(cloud, captured_at, sources, tuple(columns), blocks, path, grouped)


def _check_columns(path: Path, columns: list[Any]) -> None:
    unknown = [c for c in columns if c not in OFFER_COLUMNS]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if unknown or missing:
        raise _corrupt(path, f"bad columns (unknown {unknown}, missing {missing})")


def _check_rows(path: Path, cloud: str, columns: list[Any], rows: list[Any]) -> None:
    """Known columns, the required ones present, every row complete and numbers sane.

    Checks run column by column (C-level set/map passes) to keep big files fast.
    """
    _check_columns(path, columns)
    _check_shape(path, rows, len(columns))
    for name in _NUMERIC_COLUMNS:
        if name in columns:
            _check_numbers(path, rows, columns.index(name), name)
    if "cloud" in columns and not set(map(itemgetter(columns.index("cloud")), rows)) <= {cloud}:
        raise _corrupt(path, f"a row's cloud is not {cloud!r}")


_OFFER_DEFAULTS = {
    f.name: f.default for f in dataclasses.fields(Offer) if f.default is not dataclasses.MISSING
}
_NULLABLE = {"usd_per_hour", "spot_usd_per_hour"}


def _check_shape(path: Path, rows: list[Any], width: int) -> None:
    if set(map(type, rows)) <= {list} and set(map(len, rows)) <= {width}:
        return
    for number, row in enumerate(rows):
        if type(row) is not list or len(row) != width:
            raise _corrupt(path, f"row {number} does not have {width} values")


def _check_numbers(path: Path, rows: list[Any], index: int, name: str) -> None:
    """Every value of a numeric column is a finite non-negative number (or null where
    allowed): JSON's NaN and Infinity would poison every sum the planner makes."""
    allowed = {int, float, type(None)} if name in _NULLABLE else {int, float}
    values = list(map(itemgetter(index), rows))
    if (
        set(map(type, values)) <= allowed
        and min(filter(None, values), default=0) >= 0
        and math.isfinite(sum(filter(None, values)))  # NaN or Infinity anywhere: not finite
    ):
        return
    for number, value in enumerate(values):
        if type(value) not in allowed or (value is not None and not _finite_non_negative(value)):
            raise _corrupt(path, f"row {number} column {name!r} = {value!r}")


def _finite_non_negative(value: float) -> bool:
    return math.isfinite(value) and value >= 0


# ---------------------------------------------------------------------------- egress


@dataclass(frozen=True)
class Tier:
    """A volume tier: from ``start_gb`` of cumulative monthly volume, ``usd_per_gb`` applies."""

    start_gb: float
    usd_per_gb: float


@dataclass(frozen=True)
class EgressTable:
    """One cloud's data-transfer list prices, all in USD per decimal GB.

    Lookups go from specific to general: ``internet_tiers`` is keyed by source region, then
    source continent, then ``"*"``; ``within_continent_usd_per_gb`` by continent or ``"*"``;
    ``between_continents_usd_per_gb`` by the source continent or ``"*"``;
    ``region_pairs_usd_per_gb`` by (source region, destination region) and wins over both.
    """

    cloud: str
    captured_at: str
    sources: tuple[str, ...]
    internet_tiers: Mapping[str, tuple[Tier, ...]]
    within_continent_usd_per_gb: Mapping[str, float]
    between_continents_usd_per_gb: Mapping[str, float]
    cross_zone_usd_per_gb: float = 0.0
    region_pairs_usd_per_gb: Mapping[tuple[str, str], float] = field(default_factory=dict)
    path: Path | None = None


def save_egress(path: Path | str, table: EgressTable, unit: str = "GB") -> Path:
    """Write one cloud's egress table atomically.

    The file (``unit`` is "GB" or "GiB"; with "GiB", tier starts are GiB and prices are
    USD per GiB, as GCP publishes them, and :func:`load_egress` converts)::

        {"format_version": 1, "kind": "egress", "cloud": "aws", "captured_at": "...",
         "sources": [...], "unit": "GB",
         "internet": {"*": [[0, 0.0], [100, 0.09], [10240, 0.085], ...], "apac": [...],
                      "sa-east-1": [...]},
         "within_continent": {"na": 0.02, "*": 0.02},
         "between_continents": {"*": 0.02},
         "cross_zone": 0.01,
         "region_pairs": [["us-east-1", "us-west-2", 0.02], ...]}
    """
    scale = _unit_scale(Path(path), unit)  # GB per unit
    document = {
        "format_version": 1,
        "kind": "egress",
        "cloud": table.cloud,
        "captured_at": table.captured_at,
        "sources": list(table.sources),
        "unit": unit,
        "internet": {
            key: [[t.start_gb / scale, t.usd_per_gb * scale] for t in tiers]
            for key, tiers in table.internet_tiers.items()
        },
        "within_continent": {k: v * scale for k, v in table.within_continent_usd_per_gb.items()},
        "between_continents": {
            k: v * scale for k, v in table.between_continents_usd_per_gb.items()
        },
        "cross_zone": table.cross_zone_usd_per_gb * scale,
        "region_pairs": [
            [src, dst, rate * scale] for (src, dst), rate in table.region_pairs_usd_per_gb.items()
        ],
    }
    write_json_atomic(Path(path), document)
    return Path(path)


def load_egress(path: Path | str) -> EgressTable:
    """Read one cloud's egress table (converting GiB prices to GB); PricingError if corrupt."""
    path = Path(path)
    document = _read_document(path)
    if document.get("kind") != "egress":
        raise _corrupt(path, "'kind' must be \"egress\"")
    cloud, captured_at, sources = _header(path, document)
    scale = _unit_scale(path, document.get("unit", "GB"))
    try:
        return EgressTable(
            cloud=cloud,
            captured_at=captured_at,
            sources=sources,
            internet_tiers=_read_tiers(path, document["internet"], scale),
            within_continent_usd_per_gb=_read_rates(path, document["within_continent"], scale),
            between_continents_usd_per_gb=_read_rates(path, document["between_continents"], scale),
            cross_zone_usd_per_gb=_rate(path, document.get("cross_zone", 0.0), scale),
            region_pairs_usd_per_gb=_read_pairs(path, document.get("region_pairs", []), scale),
            path=path,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise _corrupt(path, f"bad egress table ({type(exc).__name__}: {exc})") from None


def _read_tiers(path: Path, raw: Mapping[str, Any], scale: float) -> dict[str, tuple[Tier, ...]]:
    """Tiers per key, checked to start at 0 and to rise strictly."""
    if "*" not in raw:
        raise _corrupt(path, "'internet' needs a \"*\" entry for regions not listed")
    result = {}
    for key, pairs in raw.items():
        tiers = tuple(Tier(float(start) * scale, _rate(path, rate, scale)) for start, rate in pairs)
        starts = [t.start_gb for t in tiers]
        if not tiers or starts[0] != 0 or any(b <= a for a, b in pairwise(starts)):
            raise _corrupt(path, f"internet tiers for {key!r} must start at 0 and rise")
        result[key] = tiers
    return result


def _read_rates(path: Path, raw: Mapping[str, Any], scale: float) -> dict[str, float]:
    if "*" not in raw:
        raise _corrupt(path, 'rate maps need a "*" entry for continents not listed')
    return {str(key): _rate(path, value, scale) for key, value in raw.items()}


def _read_pairs(path: Path, raw: list[Any], scale: float) -> dict[tuple[str, str], float]:
    return {(str(src), str(dst)): _rate(path, rate, scale) for src, dst, rate in raw}


def _rate(path: Path, value: Any, scale: float) -> float:
    """A non-negative per-unit price converted to USD per GB."""
    if type(value) not in (int, float) or not _finite_non_negative(value):
        raise _corrupt(path, f"price {value!r} is not a finite non-negative number")
    return float(value) / scale


def _unit_scale(path: Path, unit: Any) -> float:
    if unit == "GB":
        return 1.0
    if unit == "GiB":
        return GB_PER_GIB
    raise _corrupt(path, f'unit {unit!r} must be "GB" or "GiB"')


# ---------------------------------------------------------------------------- files


def parse_time(text: str) -> datetime:
    """An ISO 8601 timestamp or date as an aware UTC datetime ("Z" accepted)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _is_time(text: str) -> bool:
    try:
        parse_time(text)
    except ValueError:
        return False
    return True


def write_json_atomic(path: Path, document: Any) -> None:
    """Write JSON (gzipped if the name ends in .gz) so readers never see half a file."""
    from placer.atomic import write_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(document, separators=(",", ":")).encode()
    if path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=9, mtime=0)
    write_atomic(path, data, mode=0o644)  # readable by others whatever the umask: shared


MAX_TABLE_BYTES = 512 * 1024 * 1024  # a pricing table, decompressed (real ones: tens of MB)


def _read_document(path: Path) -> dict[str, Any]:
    """Parse a (possibly gzipped) JSON file into a dict, or raise PricingError naming it.

    Only a regular file is read, and at most MAX_TABLE_BYTES of it (decompressed too)."""
    from placer.inputs import read_regular

    if not path.exists():
        raise PricingError("pricing file not found", str(path), "run `placer pricing refresh`")
    data = read_regular(path, "pricing file", MAX_TABLE_BYTES, PricingError, _FIX)
    try:
        if path.suffix == ".gz":
            data = _gunzip(data, path)
        document = json.loads(data)
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _corrupt(path, f"not readable JSON ({exc})") from None
    if not isinstance(document, dict):
        raise _corrupt(path, "top level is not a JSON object")
    return document


def _header(path: Path, document: Mapping[str, Any]) -> tuple[str, str, tuple[str, ...]]:
    """The common header fields: cloud, captured_at, sources (validated)."""
    if document.get("format_version") not in READ_VERSIONS:
        raise _corrupt(path, f"format_version {document.get('format_version')!r} is not 1 or 2")
    cloud = document.get("cloud")
    if cloud not in CLOUDS:
        raise _corrupt(path, f"cloud {cloud!r} is not one of {', '.join(CLOUDS)}")
    captured_at = document.get("captured_at")
    if not isinstance(captured_at, str) or not _is_time(captured_at):
        raise _corrupt(path, f"'captured_at' {captured_at!r} is not an ISO 8601 time")
    sources = document.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise _corrupt(path, "'sources' must be a list of strings")
    return cloud, captured_at, tuple(sources)


_FIX = "delete it and run `placer pricing refresh` (the embedded snapshot is used meanwhile)"


def _gunzip(data: bytes, path: Path) -> bytes:
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
        out = handle.read(MAX_TABLE_BYTES + 1)
    if len(out) > MAX_TABLE_BYTES:
        raise _corrupt(path, f"it decompresses to more than {MAX_TABLE_BYTES // 2**20} MB")
    return out


def _corrupt(path: Path, why: str) -> PricingError:
    return PricingError(
        f"corrupt pricing file: {why}",
        str(path),
        "delete it and run `placer pricing refresh` (the embedded snapshot is used meanwhile)",
    )
