"""Every dead-letter reason code raised in pipeline/ is listed in errors.REASONS."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import pipeline
from pipeline import errors
from pipeline.errors import REASONS, RejectedMessage, is_known_reason

PACKAGE = Path(pipeline.__file__).parent


def _subclasses(cls: type[RejectedMessage]) -> Iterator[type[RejectedMessage]]:
    yield cls
    for sub in cls.__subclasses__():
        yield from _subclasses(sub)


REJECTIONS = {cls.__name__: cls for cls in _subclasses(RejectedMessage)}


def _literal(node: ast.expr | None) -> str | None:
    """A string literal as written; an f-string with each placeholder as ``X``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_literal(v) or "X" for v in node.values)
    return None


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def reasons_in(source: str) -> Iterator[tuple[int, str]]:
    """``(line, reason)`` for each literal reason code in ``source``: the first argument
    of a ``RejectedMessage`` subclass (turned into its ``reason`` by the class itself),
    a ``reason=`` keyword, or an assignment to a name or attribute called ``reason``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = _called_name(node)
            if name in REJECTIONS and node.args and (text := _literal(node.args[0])):
                yield node.lineno, REJECTIONS[name](text).reason
            for kw in node.keywords:
                if kw.arg == "reason" and (text := _literal(kw.value)):
                    yield node.lineno, text
        elif isinstance(node, ast.Assign) and (text := _literal(node.value)):
            for target in node.targets:
                named = target.id if isinstance(target, ast.Name) else None
                attr = target.attr if isinstance(target, ast.Attribute) else None
                if "reason" in (named, attr):
                    yield node.lineno, text


FAMILIES = frozenset(code.split(".", 1)[0] for code in REASONS)
CODE_SHAPE = re.compile(r"^([a-z]+)\.[A-Za-z0-9_]+$")


def code_shaped_literals_in(source: str) -> Iterator[tuple[int, str]]:
    """``(line, text)`` for every whole string literal (an f-string with ``X`` for each
    placeholder) shaped like a code of a family the table knows (``decode.…``,
    ``bug.…``): this catches codes built outside the exception classes, such as a
    ``(f"bug.{name}", ...)`` tuple, and typos such as ``decode.jsn``."""
    tree = ast.parse(source)
    parts = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    for node in ast.walk(tree):
        if id(node) in parts or not isinstance(node, ast.Constant | ast.JoinedStr):
            continue
        text = _literal(node)
        if text and (shape := CODE_SHAPE.match(text)) and shape.group(1) in FAMILIES:
            yield node.lineno, text


def test_every_reason_raised_in_the_package_is_in_the_table() -> None:
    found = [
        (f"{path.relative_to(PACKAGE.parent)}:{line}", reason)
        for path in sorted(PACKAGE.rglob("*.py"))
        for scan in (reasons_in, code_shaped_literals_in)
        for line, reason in scan(path.read_text("utf-8"))
    ]
    assert found, "the scan found no reason code at all; has the raising code moved?"
    unknown = [(where, reason) for where, reason in found if not is_known_reason(reason)]
    assert unknown == [], "add these reason codes to pipeline.errors.REASONS"


@pytest.mark.parametrize(
    "source",
    [
        'raise DecodeFailed("decode.xml", "no")',
        'raise errors.StageRejected("stage.refused")',
        'raise StageRejected("title")',
        'send(letter, reason="replay.stale")',
        'reason = f"crash.{type(exc).__name__}"',
    ],
)
def test_the_scan_reports_a_code_missing_from_the_table(source: str) -> None:
    assert [reason for _, reason in reasons_in(source) if not is_known_reason(reason)] != []


@pytest.mark.parametrize(
    ("source", "codes"),
    [
        ('failure = (f"bug.{type(exc).__name__}", repr(exc))', ["bug.X"]),
        ('codes = {"decode.jsn": 1}', ["decode.jsn"]),
    ],
)
def test_the_literal_scan_finds_codes_outside_exception_calls(
    source: str, codes: list[str]
) -> None:
    assert [text for _, text in code_shaped_literals_in(source)] == codes


def test_the_literal_scan_leaves_other_dotted_strings_alone() -> None:
    assert list(code_shaped_literals_in('t = "news.alerts.sanctions"; f = "seeds/a.json"')) == []


def test_the_scan_reads_a_schema_field_as_its_schema_code() -> None:
    assert list(reasons_in('raise SchemaViolation("title", "too long")')) == [
        (1, errors.SchemaViolation("title").reason)
    ]


@pytest.mark.parametrize(
    ("code", "known"),
    [
        ("decode.json", True),
        ("schema.title", True),
        ("bug.KeyError", True),
        ("watchlist.invalid", True),
        ("schema.", False),
        ("schema.*", False),
        ("bug", False),
        ("decode.xml", False),
    ],
)
def test_known_reasons_are_table_codes_or_family_members(code: str, known: bool) -> None:
    assert is_known_reason(code) is known


def test_every_reason_has_a_one_line_meaning() -> None:
    assert [code for code, meaning in REASONS.items() if not meaning or "\n" in meaning] == []
