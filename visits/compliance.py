"""Follow-up compliance added up for a page: the total of every rep, and what the page
lists — every rep by name, or, for more reps than a page should list (a manager of
several teams, the whole company's 500), a row per sales team and only the reps with the
lowest share on time. The manager's Team page and the dashboard show it the same way
(docs/dashboards.md "Follow-up compliance")."""

# More reps than this: a row per team and only these many reps, the lowest on time first.
REP_ROWS = 20
SUMMED = ("settled", "on_time", "late", "overdue")


def summary(rows: list[dict], *, rep_rows: int | None = None) -> dict:
    """`rows` (`selectors.follow_up_compliance`'s, each rep with its `sales_team` read,
    an `overdue` count where the page shows one) added up. Each row gets its `late`."""
    rep_rows = REP_ROWS if rep_rows is None else rep_rows
    for row in rows:
        row["late"] = row["settled"] - row["on_time"]
    settled = sum(row["settled"] for row in rows)
    on_time = sum(row["on_time"] for row in rows)
    result = {
        "rows": rows,  # every rep (an export's sheet)
        "shown": rows,  # the reps the page lists
        "teams": [],
        "limited": False,  # True: only the reps lowest on time are listed
        "reps": len(rows),
        "settled": settled,
        "on_time": on_time,
        "share": on_time / settled if settled else None,
        "overdue": sum(row.get("overdue", 0) for row in rows),
    }
    if len(rows) > rep_rows:
        teams = by_team(rows)
        result["teams"] = teams if len(teams) > 1 else []  # one team: its total says it
        # Among the reps with settled follow-ups: the lowest share on time, then the
        # most late, then in the order the reps came in (by name).
        ranked = sorted(
            (row for row in rows if row["settled"]),
            key=lambda row: (row["share"], -row["late"]),
        )
        result["shown"] = ranked[:rep_rows]
        result["limited"] = True
    return result


def by_team(rows: list[dict]) -> list[dict]:
    """`rows` added up per sales team of their rep, by team name."""
    teams = {}
    for row in rows:
        team = row["rep"].sales_team
        if team is None:
            continue
        total = teams.setdefault(team.pk, {"team": team, "reps": 0, **dict.fromkeys(SUMMED, 0)})
        total["reps"] += 1
        for key in SUMMED:
            total[key] += row.get(key, 0)
    result = sorted(teams.values(), key=lambda total: (total["team"].name, total["team"].pk))
    for total in result:
        total["share"] = total["on_time"] / total["settled"] if total["settled"] else None
    return result
