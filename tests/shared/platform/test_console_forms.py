"""The console's form generator and answer rendering: what a user types becomes the
parameters the API takes; an answer with records becomes a table and a CSV."""

from __future__ import annotations

from shared.platform.console.answers import csv_of, table_of
from shared.platform.console.forms import JSON_FIELD, error_field, fields_of, fill

SCHEMA = {
    "type": "object",
    "properties": {
        "q": {"type": "string", "maxLength": 10, "pattern": "^[a-z]+$"},
        "n": {"type": "integer", "minimum": 1},
        "x": {"type": "number"},
        "on": {"type": "boolean"},
        "mode": {"enum": ["a", "b"]},
    },
    "required": ["q"],
}


def test_each_scalar_gets_its_control_and_an_unknown_shape_the_json_textarea() -> None:
    fields = fields_of(SCHEMA)
    assert fields is not None
    assert [(f.name, f.kind, f.required) for f in fields] == [
        ("q", "text", True),
        ("n", "integer", False),
        ("x", "number", False),
        ("on", "checkbox", False),
        ("mode", "select", False),
    ]
    assert (fields[0].max_length, fields[0].pattern, fields[1].minimum) == (10, "^[a-z]+$", 1)
    assert fields_of({"type": "object", "properties": {"tags": {"type": "array"}}}) is None
    assert fields_of({"type": "object", "properties": {}, "oneOf": []}) is None


def test_posted_values_become_typed_parameters_and_bad_numbers_errors() -> None:
    form = fill(SCHEMA, {"p.q": "abc", "p.n": "3", "p.x": "2.5", "p.on": "on", "p.mode": ""})
    assert form.parameters == {"q": "abc", "n": 3, "x": 2.5, "on": True}
    assert form.errors == {}
    bad = fill(SCHEMA, {"p.q": "abc", "p.n": "3.5", "p.x": "inf"})
    assert bad.errors == {"p.n": "must be a whole number", "p.x": "must be a number"}
    assert bad.parameters == {"q": "abc", "on": False}


def test_the_api_error_lands_on_its_field() -> None:
    form = fill(SCHEMA, {})
    assert error_field(form, "parameters.n", "parameters.n: 0 is less than 1") == "p.n"
    assert error_field(form, "parameters", 'parameters: "q" is a required property') == "p.q"
    assert error_field(form, "parameters", "parameters: something else") == JSON_FIELD


def test_the_json_fallback_takes_an_object_only() -> None:
    schema = {"type": "object", "properties": {"tags": {"type": "array"}}}
    assert fill(schema, {JSON_FIELD: '{"tags": ["a"]}'}).parameters == {"tags": ["a"]}
    assert fill(schema, {JSON_FIELD: "[1]"}).errors == {JSON_FIELD: "must be a JSON object"}
    assert "not valid JSON" in fill(schema, {JSON_FIELD: "{"}).errors[JSON_FIELD]


def test_records_in_every_handler_shape_become_a_table_and_a_csv() -> None:
    operator = [{"a": 1, "b": "x"}, {"a": 2, "c": None}]
    table = table_of(operator)
    assert table is not None
    assert (table.columns, table.rows) == (["a", "b", "c"], [["1", "x", ""], ["2", "", "null"]])
    sql = {"columns": ["name", "n"], "rows": [["bolt", 12]], "truncated": False}
    assert csv_of(sql) == "name,n\r\nbolt,12\r\n"
    search = {"total": 1, "hits": [{"id": "d1", "score": 0.5}]}
    assert table_of(search) is not None
    assert table_of({"message": "hi"}) is None
    assert table_of([]) is None
    assert csv_of("plain text") == "answer\r\nplain text\r\n"
