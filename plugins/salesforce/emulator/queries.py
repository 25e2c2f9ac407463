"""Running a parsed SOQL query against the org: filtering, ordering, rows as JSON.

Text comparisons ignore case, as SOQL's do; Id comparisons do not. A filter value must
fit its field's type (a quoted datetime is an error, as in Salesforce). Relationship
paths (``Who.Email``, ``Account.Name``, ``Owner.Name``) follow the ``<Name>Id`` reference
field, one level deep; through a polymorphic one the nested record's type is ``Name``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from funnelsync.plugins.salesforce.emulator.api_errors import ApiError
from funnelsync.plugins.salesforce.emulator.schema import (
    FieldDef,
    SObjectSchema,
    UnknownObjectError,
)
from funnelsync.plugins.salesforce.emulator.soql import (
    Comparison,
    Condition,
    Logical,
    Negation,
    OrderItem,
    Query,
    SoqlError,
    malformed,
    parse,
)
from funnelsync.plugins.salesforce.emulator.values import to_json

if TYPE_CHECKING:
    from funnelsync.plugins.salesforce.emulator.org import Org

_ID_TYPES = frozenset({"id", "reference"})
_TEXT_TYPES = frozenset({"string", "email", "phone", "url", "textarea", "picklist", "combobox"})
_NUMBER_TYPES = frozenset({"int", "double", "currency", "percent"})


def _bad_query(error: SoqlError) -> ApiError:
    return ApiError(400, "MALFORMED_QUERY", str(error))


class _Evaluator:
    def __init__(self, org: Org, soql: str, query: Query) -> None:
        self.org = org
        self.soql = soql
        self.query = query
        try:
            self.schema = org.schema(query.sobject)
        except UnknownObjectError as exc:
            raise ApiError(400, "INVALID_TYPE", str(exc)) from None

    def _invalid_field(self, path: str) -> ApiError:
        column = max(self.soql.find(path), 0)
        reason = (
            f"No such column '{path}' on entity '{self.schema.name}'. If you are attempting to "
            "use a custom field, be sure to append the '__c' after the custom field name. "
            "Please reference your WSDL or the describe call for the appropriate names."
        )
        return ApiError(400, "INVALID_FIELD", str(malformed(self.soql, column, reason)))

    def definition(self, path: str) -> FieldDef:
        """The field at ``path`` (following one relationship); INVALID_FIELD if none."""
        if "." not in path:
            found = self.schema.find(path)
            if found is None:
                raise self._invalid_field(path)
            return found
        relation, _, name = path.partition(".")
        reference = self.schema.find(relation + "Id")
        if reference is None or reference.type != "reference" or "." in name:
            raise self._invalid_field(path)
        for target in reference.reference_to:
            schema = self.org.schemas.get(target)
            found = schema.find(name) if schema else None
            if found is not None:
                return found
        raise self._invalid_field(path)

    def related(
        self, record: Mapping[str, Any], relation: str
    ) -> tuple[str, dict[str, Any]] | None:
        """The record a relationship points at, if it exists."""
        reference = self.schema.find(relation + "Id")
        target_id = record.get(reference.name) if reference else None
        return self.org.find(target_id) if isinstance(target_id, str) else None

    def value(self, record: Mapping[str, Any], path: str) -> Any:
        """The value at ``path`` in ``record`` (None through a missing relationship)."""
        if "." not in path:
            return record.get(self.definition(path).name)
        relation, _, name = path.partition(".")
        found = self.related(record, relation)
        if found is None:
            return None
        target = self.org.schema(found[0]).find(name)
        return found[1].get(target.name) if target else None

    def check_literal(self, path: str, literal: Any) -> None:
        """Refuse a filter value whose type does not fit the field (e.g. a quoted datetime)."""
        kind = self.definition(path).type
        if literal is None:
            return
        expected: tuple[type, ...]
        if kind == "datetime":
            expected, name = (datetime,), "dateTime"
        elif kind == "date":
            expected, name = (date,), "date"
        elif kind == "boolean":
            expected, name = (bool,), "boolean"
        elif kind in _NUMBER_TYPES:
            expected, name = (int, float), "number"
        else:
            expected, name = (str,), "string"
        fits = isinstance(literal, expected) and not (
            kind == "date" and isinstance(literal, datetime)
        )
        if not fits or (isinstance(literal, bool) and kind != "boolean"):
            quoted = "" if name == "string" else " and should not be enclosed in quotes"
            reason = f"value of filter criterion for field '{path}' must be of type {name}{quoted}"
            raise ApiError(400, "INVALID_FIELD", str(malformed(self.soql, 0, reason)))

    def check(self, condition: Condition | None) -> None:
        """Check every field and filter value of ``condition`` before any row is read."""
        if isinstance(condition, Negation):
            self.check(condition.part)
        elif isinstance(condition, Logical):
            for part in condition.parts:
                self.check(part)
        elif isinstance(condition, Comparison):
            literals = condition.value if condition.op in ("in", "not in") else (condition.value,)
            for literal in literals:
                self.check_literal(condition.field, literal)

    def matches(self, condition: Condition | None, record: Mapping[str, Any]) -> bool:
        """Whether ``record`` satisfies ``condition``."""
        if condition is None:
            return True
        if isinstance(condition, Negation):
            return not self.matches(condition.part, record)
        if isinstance(condition, Logical):
            results = (self.matches(part, record) for part in condition.parts)
            return all(results) if condition.op == "and" else any(results)
        return self._compare(condition, record)

    def _compare(self, comparison: Comparison, record: Mapping[str, Any]) -> bool:
        kind = self.definition(comparison.field).type
        actual = _comparable(kind, self.value(record, comparison.field))
        if comparison.op in ("in", "not in"):
            found = actual in [_comparable(kind, v) for v in comparison.value]
            return found if comparison.op == "in" else not found
        expected = _comparable(kind, comparison.value)
        if comparison.op == "=":
            return bool(actual == expected)
        if comparison.op == "!=":
            return bool(actual != expected)
        if actual is None or expected is None:
            return False
        return bool(
            {
                "<": actual < expected,
                "<=": actual <= expected,
                ">": actual > expected,
                ">=": actual >= expected,
            }[comparison.op]
        )

    def sort(self, records: list[dict[str, Any]]) -> None:
        """Order ``records`` in place by the query's ORDER BY."""
        for item in reversed(self.query.order_by):
            records.sort(key=partial(self._order_key, item), reverse=item.descending)

    def _order_key(self, item: OrderItem, record: Mapping[str, Any]) -> tuple[int, Any]:
        kind = self.definition(item.field).type
        value = _comparable(kind, self.value(record, item.field))
        null_rank = 0 if item.nulls_last == item.descending else 1
        return (null_rank, None) if value is None else (1 - null_rank, value)

    def render(self, sobject: str, record: Mapping[str, Any], version: str) -> dict[str, Any]:
        """One result row as the REST API returns it."""
        row: dict[str, Any] = {"attributes": _attributes(sobject, record["Id"], version)}
        for path in self.query.fields:
            if "." not in path:
                definition = self.definition(path)
                row[definition.name] = to_json(definition, record.get(definition.name))
                continue
            relation, _, name = path.partition(".")
            found = self.related(record, relation)
            if found is None:
                row[relation] = None
                continue
            target_schema = self.org.schema(found[0])
            reference = self.schema.find(relation + "Id")
            polymorphic = reference is not None and len(reference.reference_to) > 1
            nested = row.get(relation) or {
                "attributes": _attributes(
                    found[0], found[1]["Id"], version, "Name" if polymorphic else found[0]
                )
            }
            target = target_schema.find(name)
            if target is not None:
                nested[target.name] = to_json(target, found[1].get(target.name))
            row[relation] = nested
        return row


def _attributes(
    sobject: str, record_id: str, version: str, kind: str | None = None
) -> dict[str, str]:
    """A row's ``attributes``. A polymorphic relationship (``Owner``: User or Queue,
    ``Who``: Lead or Contact) answers ``type: Name``, its url naming the real object."""
    url = f"/services/data/v{version}/sobjects/{sobject}/{record_id}"
    return {"type": kind or sobject, "url": url}


def _comparable(kind: str, value: Any) -> Any:
    if isinstance(value, str) and kind not in _ID_TYPES:
        return value.casefold()
    return value


def run_query(org: Org, soql: str, *, include_deleted: bool, version: str) -> list[dict[str, Any]]:
    """Every row ``soql`` selects, rendered; :class:`ApiError` for a bad query."""
    try:
        query = parse(soql)
    except SoqlError as exc:
        raise _bad_query(exc) from None
    evaluator = _Evaluator(org, soql, query)
    for path in (*query.fields, *(item.field for item in query.order_by)):
        evaluator.definition(path)
    evaluator.check(query.where)
    schema: SObjectSchema = evaluator.schema
    records = [
        record
        for record in org.table(schema.name).values()
        if (include_deleted or not record["IsDeleted"]) and evaluator.matches(query.where, record)
    ]
    evaluator.sort(records)
    if query.limit is not None:
        records = records[: query.limit]
    return [evaluator.render(schema.name, record, version) for record in records]
