"""What the historical tables of versioned records are indexed on
(`keyaccounts.history.models.RecordHistory`): the record's id and what their readers
use, nothing else they copy; the snapshot tables of many-to-many fields keep theirs."""

from django.apps import apps

from keyaccounts.models import VersionedModel
from opportunities.models import Opportunity
from visits.models import Visit


def _indexed(model) -> set[str]:
    return {field.name for field in model._meta.concrete_fields if field.db_index}


def test_a_versioned_records_history_is_indexed_by_what_reads_it():
    records = [m for m in apps.get_models() if issubclass(m, VersionedModel)]
    assert len(records) >= 11
    for model in records:
        history = model.history.model
        own = {"history_id", "history_date", "history_user"}
        kept = {"id", *getattr(model, "history_indexes", ())}
        assert _indexed(history) - own == kept, model  # not its links, unique fields, …
    # The forecast as a month began reads a deal's versions by their expected close.
    assert "expected_close_date" in _indexed(Opportunity.history.model)


def test_the_people_snapshot_tables_keep_the_indexes_the_purge_deletes_by():
    history = Visit.history.model
    contacts = apps.get_model(history._meta.app_label, f"{history.__name__}_contacts")
    attendees = apps.get_model(history._meta.app_label, f"{history.__name__}_attendees")
    assert {"visit", "contact"} <= _indexed(contacts)
    assert {"visit", "user"} <= _indexed(attendees)
