"""A district's recognition rules, with defaults that work before anyone configures them.

```
{"tiers": {"gold":   {"years": 3, "points_recorded": 500, "orders_closed": 50, "average_rating": 4.5},
           "silver": {...}, "bronze": {...}},
 "stars": {"base": 3,
           "rules": [{"metric": "points_earned", "op": "at_least", "value": 50, "stars": 1}, ...]}}
```

Medals: a grid worker gets the best tier whose every threshold (on metrics that exist) they
meet; a tier with no usable threshold is never given. Stars: start from ``base``, add each
rule's ``stars`` (negative to take away) when the member's value is at least / at most the
rule's value, then keep within 1 to 5.
"""

import copy

TIERS = ("gold", "silver", "bronze")
OPS = ("at_least", "at_most")
MAX_RULES = 8

DEFAULT = {
    "tiers": {
        "gold": {"years": 3, "points_recorded": 500, "orders_closed": 50, "average_rating": 4.5},
        "silver": {"years": 2, "points_recorded": 200, "orders_closed": 20, "average_rating": 4.0},
        "bronze": {"years": 1, "points_recorded": 50, "orders_closed": 5},
    },
    "stars": {
        "base": 3,
        "rules": [
            {"metric": "points_earned", "op": "at_least", "value": 50, "stars": 1},
            {"metric": "points_earned", "op": "at_least", "value": 200, "stars": 1},
            {"metric": "orders_uncollected", "op": "at_least", "value": 2, "stars": -1},
            {"metric": "claims_rejected", "op": "at_least", "value": 3, "stars": -1},
        ],
    },
}


def effective(stored: dict | None) -> dict:
    """The stored settings over the defaults (a district that saved only stars keeps the
    default tiers)."""
    config = copy.deepcopy(DEFAULT)
    stored = stored or {}
    if isinstance(stored.get("tiers"), dict):
        config["tiers"] = {t: dict(stored["tiers"].get(t) or {}) for t in TIERS}
    if isinstance(stored.get("stars"), dict):
        config["stars"] = {"base": int(stored["stars"].get("base", 3)),
                           "rules": list(stored["stars"].get("rules") or [])}
    return config


def tier_for(values: dict, tiers: dict, available: set) -> str | None:
    for tier in TIERS:
        thresholds = {m: v for m, v in (tiers.get(tier) or {}).items()
                      if m in available and v is not None}
        if thresholds and all((values.get(m) or 0) >= v for m, v in thresholds.items()):
            return tier
    return None


def stars_for(values: dict, stars: dict, available: set) -> int:
    total = int(stars.get("base", 3))
    for rule in stars.get("rules") or []:
        metric = rule.get("metric")
        if metric not in available:
            continue
        value = values.get(metric) or 0
        hit = value >= rule["value"] if rule.get("op", "at_least") == "at_least" else value <= rule["value"]
        if hit:
            total += int(rule.get("stars", 0))
    return max(1, min(5, total))
