"""The default sales stages and their exit criteria (the seeds' solution-selling steps).

Used by the data migration that installs them and by tests that need them after a
flush; managers change stages afterwards in the admin.
"""

# Wide on purpose: one stage, or one criterion with its Chinese wording, per line.
STAGES = [
    # key, English, Chinese, default probability, won, lost, [(criterion, Chinese)]
    ("qualify", "Qualify", "资格确认", 10, False, False, [
        ("The customer confirmed the need", "客户确认了需求"),
        ("Budget and timing known", "已了解预算与采购时间"),
        ("Decider identified", "已确认采购决策者"),
    ]),
    ("needs_analysis", "Needs analysis", "需求分析", 25, False, False, [
        ("Requirements written down and confirmed by the user department", "需求文档经使用部门确认"),
        ("Buying center mapped: decider, evaluator, user, purchaser", "已梳理采购决策链：决策者、评估者、使用者、采购执行者"),
        ("A coach inside the customer supports us", "客户内部已有内线支持我方"),
    ]),
    ("solution", "Solution design and presentation", "方案设计与呈现", 40, False, False, [
        ("Solution presented to the evaluator and the users", "方案已向评估者和使用者呈现"),
        ("Technical evaluation passed", "已通过技术评估"),
    ]),
    ("bid", "Bid / tender", "招投标", 60, False, False, [
        ("Bid submitted on time", "已按时提交投标文件"),
        ("Shortlisted by the customer", "已入围"),
    ]),
    ("negotiation", "Negotiation", "商务谈判", 80, False, False, [
        ("Commercial terms agreed", "商务条款已达成一致"),
        ("Contract approved by the decider", "合同已获采购决策者批准"),
    ]),
    ("won", "Won", "赢单", 100, True, False, []),
    ("lost", "Lost", "输单", 0, False, True, []),
]  # fmt: skip


def ensure_default_stages(Stage, ExitCriterion) -> None:
    """Create the default stages that are missing (by key); leave existing ones alone."""
    for order, (key, name, name_zh, probability, won, lost, criteria) in enumerate(STAGES, 1):
        stage, created = Stage.objects.get_or_create(
            key=key,
            defaults={
                "name": name,
                "name_zh": name_zh,
                "order": order * 10,
                "default_probability": probability,
                "is_won": won,
                "is_lost": lost,
            },
        )
        if created:
            for position, (text, text_zh) in enumerate(criteria, 1):
                ExitCriterion.objects.create(
                    stage=stage, name=text, name_zh=text_zh, order=position
                )
