"""The default risk-evaluation table (客户风险评估表), following the seeds.

The seeds name the factors: the customer's size and budget, funding and credit
standing, closeness of the relationship; the need and whether we meet it, our gap to
competitors, the probability of winning and the order's value; and rank A/B/C/D by time
to close. Growth potential is there because "small companies with large growth
potential deserve attention before they are big". Weights add up to 100, so a factor's
weight reads as its share of the score. Managers change all of this in the browser.

Used by the data migration that installs version 1 and by tests after a flush.
"""

# One factor per entry.
# key, English, Chinese, source, weight, points when unknown, [(from value, points)], guidance
# fmt: off
FACTORS = [
    ("size_budget", "Customer size and budget", "客户规模与预算", "annual_budget", 15, 0,
     [(0, 10), (100, 30), (500, 55), (2000, 80), (10000, 100)],
     "The budget for our category, in 10k CNY a year."),
    ("funding_credit", "Funding and credit standing", "资金状况与信誉", "credit_rating", 10, 30,
     [(1, 0), (2, 20), (3, 40), (4, 60), (5, 80), (6, 90), (7, 100)],
     "The credit rating: AAA 7, AA 6, A 5, BBB 4, BB 3, B 2, CCC or below 1; not rated scores 30."),
    ("relationship", "Relationship closeness", "客户关系紧密程度", "relationship", 15, 0,
     [(1, 0), (2, 25), (3, 50), (4, 75), (5, 100)],
     "1: no relationship yet. 2: we know the users. 3: the evaluator and users know and "
     "trust us. 4: a coach inside and regular contact with the decider. 5: a long-standing "
     "partner; the decider asks us first."),
    ("need_fit", "Need fit", "需求匹配度", "need_fit", 15, 0,
     [(1, 0), (2, 25), (3, 50), (4, 75), (5, 100)],
     "1: their need is vague or not ours to meet. 2: we meet part of it. 3: we meet it with "
     "gaps a workaround covers. 4: we meet it well. 5: our solution is the reference for "
     "what they need."),
    ("competitive_position", "Competitive position", "竞争地位", "competitive_position", 10, 0,
     [(1, 0), (2, 25), (3, 50), (4, 75), (5, 100)],
     "Our gap to the competitors present in brand, product, service and relationship. "
     "1: far behind. 2: behind. 3: level. 4: ahead. 5: no credible competitor."),
    ("win_probability", "Win probability", "赢单可能性", "win_probability", 10, 0,
     [(0, 0), (10, 20), (25, 40), (50, 60), (75, 80), (90, 100)],
     "The best probability among the account's open deals."),
    ("order_value", "Order value", "订单价值", "open_pipeline", 10, 0,
     [(0, 0), (100000, 20), (500000, 40), (1000000, 60), (3000000, 80), (10000000, 100)],
     "The amount of the account's open deals, in CNY."),
    ("time_to_close", "Time to close", "成交时间", "days_to_close", 5, 0,
     [(-36500, 70), (0, 100), (31, 80), (91, 60), (181, 30), (366, 10)],
     "Days to the nearest expected close date of an open deal; a date already passed scores 70."),
    ("growth_potential", "Growth potential", "成长潜力", "growth_potential", 10, 30,
     [(1, 20), (2, 60), (3, 100)],
     "Low 1, medium 2, high 3."),
]
# fmt: on

# The grade grid: (time to close, strength of the score) -> grade.
# A = strong and closing soon; B = strong but later, or fair and soon; C = fair and
# later; D = weak, or no open deal to close (not yet qualified).
GRID = {
    ("soon", "strong"): "A",
    ("soon", "fair"): "B",
    ("soon", "weak"): "D",
    ("later", "strong"): "B",
    ("later", "fair"): "C",
    ("later", "weak"): "D",
    ("none", "strong"): "D",
    ("none", "fair"): "D",
    ("none", "weak"): "D",
}

STRONG_MIN = 70
FAIR_MIN = 40
SOON_DAYS = 90  # three months


def ensure_default_model(apps=None, schema_editor=None):
    """Install version 1 if there is no scoring model at all (idempotent)."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    ScoringModel = apps.get_model("scoring", "ScoringModel")
    Factor = apps.get_model("scoring", "Factor")
    Band = apps.get_model("scoring", "Band")
    GridCell = apps.get_model("scoring", "GridCell")
    if ScoringModel.objects.exists():
        return ScoringModel.objects.filter(is_active=True).first()
    model = ScoringModel.objects.create(
        version=1,
        is_active=True,
        note="Default table from the seeds",
        strong_min=STRONG_MIN,
        fair_min=FAIR_MIN,
        soon_days=SOON_DAYS,
    )
    for order, (key, label, label_zh, source, weight, missing, bands, guidance) in enumerate(
        FACTORS
    ):
        factor = Factor.objects.create(
            model=model,
            key=key,
            label=label,
            label_zh=label_zh,
            source=source,
            weight=weight,
            missing_points=missing,
            guidance=guidance,
            order=order,
        )
        Band.objects.bulk_create(
            Band(factor=factor, min_value=low, points=points) for low, points in bands
        )
    GridCell.objects.bulk_create(
        GridCell(model=model, closing=closing, strength=strength, grade=grade)
        for (closing, strength), grade in GRID.items()
    )
    return model
