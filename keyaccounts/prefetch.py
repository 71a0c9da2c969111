"""Prefetching for what only reads: a many-to-many relation or a part of a record as a
plain list (`listed`), where Django's own prefetch makes a queryset for every record."""

from django.db.models import Prefetch

# Where `listed` puts a relation's rows: `<relation>_listed`.
LISTED = "_listed"


def listed(model, relation: str, queryset=None) -> Prefetch:
    """Prefetch `relation` of `model` as a plain list of its rows at `<relation>_listed`
    (`queryset`, or the related model's default manager with only the ids: what a list
    of ids is written from). Django's own prefetch makes a queryset for every record,
    and DRF clones it again to read it (a third of a changes page of 500 visits); a plain
    list needs neither. For what only reads: a record written after it was read would
    still answer the list it was read with. The rows are in the queryset's order (the
    default manager's, as `record.<relation>.all()` reads them)."""
    if queryset is None:
        queryset = model._meta.get_field(relation).related_model._default_manager.only("pk")
    return Prefetch(relation, queryset=queryset, to_attr=relation + LISTED)


def rows_of(record, relation: str) -> list:
    """`record.<relation>` as a list: the rows `listed` read with the record, else read now
    (one query). What a template loops over when some of its pages read the records with
    `listed` and others do not."""
    try:
        return getattr(record, relation + LISTED)
    except AttributeError:
        return list(getattr(record, relation).all())
