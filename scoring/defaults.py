"""The default risk-evaluation table (客户风险评估表), following the seeds.

The seeds name the factors: the customer's size and budget, funding and credit
standing, closeness of the relationship; the need and whether we meet it, our gap to
competitors, the probability of winning and the order's value; and rank A/B/C/D by time
to close. Growth potential is there because "small companies with large growth
potential deserve attention before they are big". Weights add up to 100, so a factor's
weight reads as its share of the score. Managers change all of this in the browser.

Used by the data migration that installs version 1 and by tests after a flush.
"""

from django.utils.translation import gettext_noop

# One factor per entry.
# key, English, Chinese, source, weight, points when unknown, [(from value, points)], guidance
# (its Chinese: GUIDANCE_ZH)
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

# Each factor's guidance in Chinese, for Chinese pages.
GUIDANCE_ZH = {
    "size_budget": "我方品类的年度预算，单位：万元。",
    "funding_credit": "信用评级：AAA 为 7，AA 为 6，A 为 5，BBB 为 4，BB 为 3，B 为 2，CCC 及以下为 1；未评级得 30 分。",
    "relationship": "1：尚无关系。2：认识使用者。3：评估者和使用者了解并信任我们。4：内部有内线，并与决策者保持定期联系。5：长期合作伙伴，决策者首先找我们。",
    "need_fit": "1：需求模糊或不在我方能力范围内。2：能满足部分需求。3：能满足需求，差距可用变通办法弥补。4：能很好地满足需求。5：我方方案就是其需求的标杆。",
    "competitive_position": "在品牌、产品、服务和关系上与在场竞争对手的差距。1：远远落后。2：落后。3：持平。4：领先。5：没有像样的竞争对手。",
    "win_probability": "客户进行中商机的最高赢单概率。",
    "order_value": "客户进行中商机的金额合计，单位：元。",
    "time_to_close": "距最近一个进行中商机预计成交日期的天数；日期已过得 70 分。",
    "growth_potential": "低为 1，中为 2，高为 3。",
}

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

# The note of the table the product installs: the product's own words, translated when
# shown (ScoringModel.shown_note).
DEFAULT_NOTE = gettext_noop("Default table from the seeds")

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
    has_guidance_zh = any(field.name == "guidance_zh" for field in Factor._meta.get_fields())
    model = ScoringModel.objects.create(
        version=1,
        is_active=True,
        note=DEFAULT_NOTE,
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
            # The field came later (migration 00xx): an older state of the table has none.
            **({"guidance_zh": GUIDANCE_ZH.get(key, "")} if has_guidance_zh else {}),
        )
        Band.objects.bulk_create(
            Band(factor=factor, min_value=low, points=points) for low, points in bands
        )
    GridCell.objects.bulk_create(
        GridCell(model=model, closing=closing, strength=strength, grade=grade)
        for (closing, strength), grade in GRID.items()
    )
    return model
