"""Migration operations of the project's own.

`DropPatternIndex`: on PostgreSQL, Django gives every text column that is `unique` or
`db_index` a second b-tree beside its own, with `varchar_pattern_ops`, for `LIKE
'prefix%'` (`…_like`). No query of ours reads an external ID or a credit code by
prefix (they are looked up whole, by the unique index; a search is the trigram
index's), and every insert and every update of a record wrote an entry in it. The
operation drops it and leaves the model's state as it is (the field stays `unique`: the
same validation, the same serializers); `makemigrations` sees no change. Only a change
of the column's type to a non-text type would make Django drop it again (`IF EXISTS`);
nothing makes it again. Backwards, it is made again as Django made it.
"""

from django.db import migrations


class DropPatternIndex(migrations.operations.base.Operation):
    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str, name: str):
        self.model_name = model_name
        self.name = name

    def deconstruct(self):
        return (self.__class__.__qualname__, [], {"model_name": self.model_name, "name": self.name})

    def state_forwards(self, app_label, state):
        pass  # the field and its unique index stay as the state says

    def _model_field(self, app_label, state):
        model = state.apps.get_model(app_label, self.model_name)
        return model, model._meta.get_field(self.name)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        model, field = self._model_field(app_label, to_state)
        table = model._meta.db_table
        index = schema_editor._create_index_name(table, [field.column], suffix="_like")
        schema_editor.execute(schema_editor._delete_index_sql(model, index))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        model, field = self._model_field(app_label, to_state)
        statement = schema_editor._create_like_index_sql(model, field)
        if statement is not None:
            schema_editor.execute(statement)

    def describe(self):
        return f"Drop the LIKE-prefix index of {self.model_name}.{self.name} (PostgreSQL)"

    @property
    def migration_name_fragment(self):
        return f"drop_{self.model_name.lower()}_{self.name}_like"
