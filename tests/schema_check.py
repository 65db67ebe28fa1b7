"""jsonschema validators of the committed ``schemas/`` files, for tests only.

The pipeline decodes with its structs; these validators let tests check that what the
structs accept and produce is what the published schemas say.
"""

from __future__ import annotations

import json
from functools import cache

from jsonschema import Draft202012Validator

from pipeline.schemas import SCHEMAS_DIR


@cache
def validator(name: str) -> Draft202012Validator:
    """The validator of ``schemas/<name>.schema.json`` (checked against the draft first)."""
    schema = json.loads((SCHEMAS_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def accepts(name: str, doc: object) -> bool:
    """Does the committed schema ``name`` accept ``doc``?"""
    return validator(name).is_valid(doc)
