"""The JSON Schemas in ``schemas/``, generated from the message structs (``models.py``).

    python -m pipeline.schemas      (make schemas)   rewrites schemas/<name>.schema.json

Each file is self-contained (draft 2020-12, nested messages under ``$defs``) and says
exactly what the codec's decoders accept; a unit test keeps the committed files equal to
what this module generates, so the files are never edited by hand.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

import msgspec

from pipeline.models import (
    Alert,
    AlertSource,
    DeadLetter,
    InputArticle,
    NormalizedArticle,
    TaggedArticle,
)
from pipeline.settings import PROJECT_ROOT

SCHEMAS_DIR = PROJECT_ROOT / "schemas"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
BASE_ID = "https://newsflow.example/schemas/"


@dataclass(frozen=True, slots=True)
class Contract:
    """One published contract: a file name, its message struct, its title."""

    name: str
    message: type[msgspec.Struct]
    title: str

    @property
    def filename(self) -> str:
        return f"{self.name}.schema.json"


CONTRACTS = (
    Contract("article-input", InputArticle, "Input article (news.articles.raw)"),
    Contract(
        "article-normalized", NormalizedArticle, "Normalized article (news.articles.normalized)"
    ),
    Contract("article-tagged", TaggedArticle, "Tagged article (news.articles.tagged)"),
    Contract("alert", Alert, "Sanctions alert (news.alerts.sanctions)"),
    Contract("alert-source", AlertSource, "Article behind an alert (news.alerts.sources)"),
    Contract("deadletter", DeadLetter, "Dead letter (news.deadletter)"),
)


def _one_line(node: Any) -> Any:
    """Descriptions taken from docstrings, with their line wrapping undone."""
    if isinstance(node, dict):
        return {
            k: " ".join(v.split()) if k == "description" and isinstance(v, str) else _one_line(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_one_line(v) for v in node]
    return node


def schema(contract: Contract) -> dict[str, Any]:
    """The JSON Schema document of one contract."""
    _, components = msgspec.json.schema_components(
        [contract.message], ref_template="#/$defs/{name}"
    )
    root = dict(components.pop(contract.message.__name__))
    root.pop("title", None)
    doc: dict[str, Any] = {
        "$schema": DRAFT,
        "$id": BASE_ID + contract.filename,
        "title": contract.title,
        **root,
    }
    if components:
        doc["$defs"] = dict(sorted(components.items()))
    return dict(_one_line(doc))


def render(contract: Contract) -> str:
    """The file text of one contract's schema (stable: diffs show real changes only)."""
    return json.dumps(schema(contract), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    """Write every contract's schema into ``schemas/``."""
    for contract in CONTRACTS:
        path = SCHEMAS_DIR / contract.filename
        path.write_text(render(contract), encoding="utf-8")
        sys.stdout.write(f"wrote {path.relative_to(PROJECT_ROOT)}\n")


if __name__ == "__main__":
    main()
