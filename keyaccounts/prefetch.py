"""Prefetching for what only reads: a many-to-many relation or a part of a record as a
plain list (`listed`), where Django's own prefetch makes a queryset for every record."""

from typing import NamedTuple

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


class IdRow(NamedTuple):
    """A related row of which only the id is wanted (`attach_ids`): what a list of ids is
    written from, as a model instance with only its pk would be."""

    pk: int


def attach_ids(records: list, relations) -> None:
    """For each many-to-many relation in `relations` of `records` (of one model), the ids
    of the related rows at `<relation>_listed`, as `IdRow`s: the rows
    `record.<relation>.all()` lists (the related model's default manager: not those in
    the recycle bin), in its order. One query per relation, however many records, and no
    model instance made: a changes page of 500 visits names about 2,000 people, and
    making an instance of each (as `listed`'s prefetch does) took as long as the reads.
    Records that have a relation's rows already are left as they are."""
    from accounts.selectors import with_ids  # not at import: models import this module

    for relation in relations:
        todo = [record for record in records if not hasattr(record, relation + LISTED)]
        if not todo:
            continue
        field = todo[0]._meta.get_field(relation)
        back = field.related_query_name()
        ids = [record.pk for record in todo]
        related = field.related_model._default_manager.using(todo[0]._state.db or "default")
        related = with_ids(related.all(), ids, field=back)
        grouped = {pk: [] for pk in ids}
        for owner, pk in related.values_list(back, "pk"):
            grouped[owner].append(IdRow(pk))
        for record in todo:
            setattr(record, relation + LISTED, grouped[record.pk])
