"""Pydantic models of a hierarchical indicator system (dimensions -> groups -> indicators)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from finstab.mcda.ahp import CR_LIMIT, RI_TABLES, ahp_weights
from finstab.mcda.scoring import DEFAULT_SCORES, FIVE_GRADES, Grade, band_score, threshold_score


def _parse_judgment(x: Any) -> float:
    if isinstance(x, str):
        try:
            return float(Fraction(x.strip()))
        except (ValueError, ZeroDivisionError) as exc:
            raise ValueError(f"judgment {x!r} is not a number or fraction like '1/3'") from exc
    return float(x)


class _Named(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")
    name_zh: str
    name_en: str
    weight: float | None = Field(default=None, gt=0, description="explicit local weight")

    def name(self, lang: str = "zh") -> str:
        return self.name_zh if lang == "zh" else self.name_en


class Indicator(_Named):
    """A leaf: an indicator with its direction and critical values."""

    unit: str = ""
    type: Literal["positive", "negative", "moderate"]
    cuts: list[float] = Field(description="values scoring 0,20,...,100 (low side for moderate)")
    high_cuts: list[float] | None = Field(default=None, description="moderate: upper side")
    source: str = Field(default="", description="where the cuts come from")

    @model_validator(mode="after")
    def _check_direction(self) -> Indicator:
        diffs = np.diff(self.cuts)
        if self.type == "positive" and not np.all(diffs > 0):
            raise ValueError(f"positive indicator needs strictly increasing cuts, got {self.cuts}")
        if self.type == "negative" and not np.all(diffs < 0):
            raise ValueError(f"negative indicator needs strictly decreasing cuts, got {self.cuts}")
        if self.type == "moderate":
            if self.high_cuts is None:
                raise ValueError("moderate indicator needs high_cuts")
            if not (np.all(diffs > 0) and np.all(np.diff(self.high_cuts) > 0)):
                raise ValueError("moderate indicator needs increasing cuts and high_cuts")
            if self.cuts[-1] > self.high_cuts[0]:
                raise ValueError(f"band lower edge {self.cuts[-1]} above upper edge "
                                 f"{self.high_cuts[0]}")
        elif self.high_cuts is not None:
            raise ValueError("high_cuts only applies to type 'moderate'")
        return self

    def score(self, values: np.ndarray, scores: tuple[float, ...]) -> np.ndarray:
        """Score raw values of this indicator."""
        if self.type == "moderate":
            return band_score(values, self.cuts, self.high_cuts, scores)
        return threshold_score(values, self.cuts, scores)


def _child_kind(v: Any) -> str:
    if isinstance(v, dict):
        return "node" if "children" in v else "indicator"
    return "node" if isinstance(v, Node) else "indicator"


Child = Annotated[
    Annotated["Node", Tag("node")] | Annotated[Indicator, Tag("indicator")],
    Discriminator(_child_kind),
]


class _Parent(BaseModel):
    """Shared by nodes and the system root: children and how they are weighted."""

    ahp: list[list[float]] | None = Field(default=None, description="pairwise matrix over children")
    normalise: bool = Field(
        default=True, description="false: explicit weights are used as printed (they must sum "
        "to 1 within 0.01), as papers that publish rounded weights did")
    children: list[Child] = Field(min_length=1)

    @field_validator("ahp", mode="before")
    @classmethod
    def _parse_fractions(cls, v: Any) -> Any:
        if v is None:
            return v
        return [[_parse_judgment(x) for x in row] for row in v]

    @model_validator(mode="after")
    def _check_weights(self) -> _Parent:
        explicit = [c.weight is not None for c in self.children]
        if self.ahp is not None:
            if any(explicit):
                raise ValueError("give either an ahp matrix or explicit child weights, not both")
            n = len(self.children)
            if len(self.ahp) != n or any(len(r) != n for r in self.ahp):
                raise ValueError(f"ahp matrix must be {n}x{n} (one row per child)")
        elif any(explicit) and not all(explicit):
            missing = [c.id for c in self.children if c.weight is None]
            raise ValueError(f"children {missing} have no weight while their siblings do")
        if not self.normalise:
            total = sum(c.weight or 0.0 for c in self.children)
            if not all(explicit) or abs(total - 1.0) > 0.01:
                raise ValueError("normalise: false needs explicit child weights summing to 1 "
                                 f"within 0.01, got {total:.4f}")
        return self


class Node(_Parent, _Named):
    """An inner node (dimension or group)."""


class GradeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str
    name_zh: str
    name_en: str
    lower: float
    upper: float
    color: str = "#999999"
    representative: float | None = None


class Response(BaseModel):
    """The response level a grade calls for (Guangxi: graded emergency response, 等级响应)."""

    model_config = ConfigDict(extra="forbid")
    level: str
    name_zh: str
    name_en: str

    def name(self, lang: str = "zh") -> str:
        return self.name_zh if lang == "zh" else self.name_en


#: default grade -> response mapping, in the spirit of the State Council's four-level emergency response
DEFAULT_RESPONSES = {
    "severe": Response(level="I", name_zh="I级响应 (特别重大)", name_en="level I (extraordinary)"),
    "high": Response(level="II", name_zh="II级响应 (重大)", name_en="level II (major)"),
    "moderate": Response(level="III", name_zh="III级响应 (较大)", name_en="level III (significant)"),
    "basically_safe": Response(level="IV", name_zh="IV级响应 (关注)", name_en="level IV (watch)"),
    "safe": Response(level="-", name_zh="常规监测", name_en="routine monitoring"),
}


class Alerts(BaseModel):
    """Near-threshold flags: "个别指标接近或者超出临界值，须预防" (Guangxi paper)."""

    model_config = ConfigDict(extra="forbid")
    #: an indicator within this many points above a grade boundary is flagged "near"
    near_points: float = Field(5.0, ge=0)
    #: the critical line: an indicator scoring below it is flagged "beyond"
    warning_line: float = 60.0


@dataclass(frozen=True)
class NodeInfo:
    """Flattened view of an inner node."""

    id: str
    name_zh: str
    name_en: str
    level: int
    parent: str | None
    local_weight: float

    def name(self, lang: str = "zh") -> str:
        return self.name_zh if lang == "zh" else self.name_en


class IndicatorSystem(_Parent):
    """A whole indicator system: metadata, scoring scale, grades and the tree."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name_zh: str
    name_en: str
    description: str = ""
    source: str = ""
    scores: list[float] = Field(default_factory=lambda: list(DEFAULT_SCORES))
    grades: list[GradeSpec] | None = None
    ri_table: str = "saaty1980"
    ahp_method: Literal["eigen", "geometric"] = "eigen"
    allow_inconsistent: bool = False
    alerts: Alerts = Field(default_factory=Alerts)
    #: grade key -> response level; grades missing here use DEFAULT_RESPONSES
    responses: dict[str, Response] = Field(default_factory=dict)

    def response_for(self, grade_key: str) -> Response | None:
        return self.responses.get(grade_key) or DEFAULT_RESPONSES.get(grade_key)

    @model_validator(mode="after")
    def _check_tree(self) -> IndicatorSystem:
        if self.ri_table not in RI_TABLES:
            raise ValueError(f"unknown ri_table {self.ri_table!r}; choose from {sorted(RI_TABLES)}")
        if self.grades is not None:
            edges = [g.lower for g in self.grades] + [self.grades[-1].upper]
            if edges != list(self.scores):
                raise ValueError(f"grades must tile the score points {self.scores} in ascending "
                                 f"order; their edges are {edges}")
        keys = [g.key for g in self.grades] if self.grades else [g.key for g in FIVE_GRADES]
        unknown = sorted(set(self.responses) - set(keys))
        if unknown:
            raise ValueError(f"responses: {unknown} are not grades of this system; grades are {keys}")
        seen: set[str] = set()
        for path, item in self._walk():
            if item.id in seen:
                raise ValueError(f"duplicate id {item.id!r} at {path}")
            seen.add(item.id)
            if isinstance(item, Indicator):
                for field in ("cuts", "high_cuts"):
                    vals = getattr(item, field)
                    if vals is not None and len(vals) != len(self.scores):
                        raise ValueError(f"{path}.{field}: {len(vals)} values for "
                                         f"{len(self.scores)} score points {self.scores}")
            elif item.ahp is not None:
                self._ahp_result(item, path)
        if self.ahp is not None:
            self._ahp_result(self, "ahp")
        return self

    def _ahp_result(self, parent: _Parent, path: str):
        res = ahp_weights(parent.ahp, self.ahp_method, self.ri_table, name=f"{path}.ahp")
        if not res.consistent and not self.allow_inconsistent:
            rep = res.repair()
            hint = f"; {rep.describe([c.id for c in parent.children])}" if rep else ""
            raise ValueError(f"{path}.ahp: CR = {res.cr:.4f} >= {CR_LIMIT}{hint}")
        return res

    def _walk(self, parent: _Parent | None = None, path: str = "children"):
        for k, child in enumerate((parent or self).children):
            here = f"{path}[{k}]({child.id})"
            yield here, child
            if isinstance(child, Node):
                yield from self._walk(child, f"{here}.children")

    def local_weights(self, parent: _Parent) -> np.ndarray:
        """Weights of a parent's children: AHP, explicit (normalised) or equal."""
        if parent.ahp is not None:
            return self._ahp_result(parent, parent.id if isinstance(parent, Node) else "ahp").weights
        if parent.children[0].weight is not None:
            w = np.array([c.weight for c in parent.children], dtype=float)
            return w / w.sum() if parent.normalise else w
        return np.full(len(parent.children), 1.0 / len(parent.children))

    def name(self, lang: str = "zh") -> str:
        return self.name_zh if lang == "zh" else self.name_en

    @cached_property
    def tree(self) -> SystemTree:
        return SystemTree.build(self)

    @property
    def grade_values(self) -> np.ndarray:
        """Representative score of each grade (given, or the interval midpoint)."""
        specs = self.grades or [GradeSpec(key=g.key, name_zh=g.name_zh, name_en=g.name_en,
                                          lower=g.lower, upper=g.upper) for g in FIVE_GRADES]
        return np.array([g.representative if g.representative is not None
                         else (g.lower + g.upper) / 2 for g in specs])

    @property
    def grade_scale(self) -> tuple[Grade, ...]:
        if self.grades is None:
            return FIVE_GRADES
        return tuple(Grade(g.key, g.name_zh, g.name_en, g.lower, g.upper, g.color)
                     for g in self.grades)

    def indicators(self) -> list[Indicator]:
        return list(self.tree.indicators)


@dataclass(frozen=True)
class SystemTree:
    """Arrays derived once from a system: leaves, nodes, global weights, node -> leaf map."""

    indicators: tuple[Indicator, ...]
    nodes: tuple[NodeInfo, ...]
    global_weights: np.ndarray  # per indicator: product of local weights down the tree
    membership: np.ndarray  # nodes x indicators, 1 where the indicator lies below the node
    indicator_parent: tuple[str, ...]
    node_mass: np.ndarray  # per node: product of local weights down to the node (root 1)
    # per node, its children in order: (is_indicator, index into indicators or nodes, weight)
    children: tuple[tuple[tuple[bool, int, float], ...], ...]

    @classmethod
    def build(cls, system: IndicatorSystem) -> SystemTree:
        indicators: list[Indicator] = []
        parents: list[str] = []
        gweights: list[float] = []
        nodes: list[NodeInfo] = [NodeInfo("total", "总体", "total", 0, None, 1.0)]
        leaf_sets: dict[str, list[int]] = {"total": []}
        mass: list[float] = [1.0]
        kids: dict[str, list[tuple[bool, int, float]]] = {"total": []}

        def visit(parent: _Parent, pid: str, level: int, acc: float, ancestors: list[str]):
            for child, w in zip(parent.children, system.local_weights(parent), strict=True):
                if isinstance(child, Indicator):
                    k = len(indicators)
                    kids[pid].append((True, k, float(w)))
                    indicators.append(child)
                    parents.append(pid)
                    gweights.append(acc * w)
                    for a in ancestors:
                        leaf_sets[a].append(k)
                else:
                    kids[pid].append((False, len(nodes), float(w)))
                    kids[child.id] = []
                    nodes.append(NodeInfo(child.id, child.name_zh, child.name_en, level,
                                          pid, float(w)))
                    leaf_sets[child.id] = []
                    mass.append(acc * w)
                    visit(child, child.id, level + 1, acc * w, [*ancestors, child.id])

        visit(system, "total", 1, 1.0, ["total"])
        membership = np.zeros((len(nodes), len(indicators)))
        for r, node in enumerate(nodes):
            membership[r, leaf_sets[node.id]] = 1.0
        return cls(tuple(indicators), tuple(nodes), np.array(gweights), membership,
                   tuple(parents), np.array(mass),
                   tuple(tuple(kids[n.id]) for n in nodes))

    def node_weights(self) -> np.ndarray:
        """nodes x indicators: 001's omega_j = W_j / (the node's own weight).

        With normalised local weights the node's weight equals the sum of its indicators'
        global weights, so this is exactly W_j / sum_k W_k. Weights used as printed
        (``normalise: false``) keep their sum, as the paper's totals did.
        """
        return self.membership * self.global_weights[None, :] / self.node_mass[:, None]

    def renormalised(self, weights: np.ndarray) -> np.ndarray:
        """nodes x indicators for other indicator weights (e.g. AHP blended with entropy):
        omega_j = w_j / sum_{k in node} w_k."""
        w = self.membership * weights[None, :]
        return w / w.sum(axis=1, keepdims=True)


Node.model_rebuild()
IndicatorSystem.model_rebuild()

