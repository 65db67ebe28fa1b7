"""docs/reference/ is generated from the code, and the committed files are current."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

from pipeline import reference
from pipeline.errors import REASONS
from pipeline.settings import Settings, field_types, variable


def test_committed_reference_files_equal_freshly_generated_ones() -> None:
    assert reference.stale() == [], "docs/reference/ is out of date: run `make reference`"


def test_reference_directory_holds_only_generated_files() -> None:
    committed = {p.name for p in reference.REFERENCE_DIR.iterdir()}
    assert committed == set(reference.generate()), "run `make reference`; delete stale files"


def test_generation_ignores_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    before = reference.generate()
    monkeypatch.setenv("NEWSFLOW_TOPIC_RAW", "elsewhere.raw")
    monkeypatch.setenv("NEWSFLOW_TOPIC_PARTITIONS", "48")
    assert reference.generate() == before


def test_settings_table_has_one_row_per_field() -> None:
    rows = [line for line in reference.settings_markdown().splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == [variable(name) for name in field_types()]


def test_settings_table_shows_project_paths_relative_to_the_checkout() -> None:
    text = reference.settings_markdown()
    assert str(Settings().rules.parent) not in text
    assert f"`{Settings().rules.relative_to(reference.PROJECT_ROOT)}`" in text


def test_metrics_table_reads_type_labels_and_help_from_the_registry() -> None:
    registry = CollectorRegistry()
    Counter("newsflow_things_total", "Things seen.", ["stage", "kind"], registry=registry)
    Histogram("newsflow_wait_seconds", "Time waited.", registry=registry)
    Gauge("other_gauge", "Not ours.", registry=registry)
    Info("newsflow_release", "Release.", registry=registry).info({"version": "1"})

    rows = [line for line in reference.metrics_markdown(registry).splitlines() if "| `" in line]

    assert rows == [
        "| `newsflow_release_info` | info | `version` | Release. |",
        "| `newsflow_things_total` | counter | `kind`, `stage` | Things seen. |",
        "| `newsflow_wait_seconds` | histogram |  | Time waited. |",
    ]


def test_topics_table_names_each_topic_setting_partitions_and_configs() -> None:
    settings = Settings(topic_partitions=4, dedupe_partitions=2)
    topics = [
        settings.topic_watchlist,
        settings.topic_dedupe,
        settings.country_topic("KP"),
        "someone.elses",
    ]
    rows = [r for r in reference.topics_markdown(settings, topics).splitlines() if "| `" in r]
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows]

    assert [c[:4] for c in cells] == [
        [
            f"`{settings.topic_watchlist}`",
            "`NEWSFLOW_TOPIC_WATCHLIST`",
            "4",
            "`cleanup.policy=compact`",
        ],
        [f"`{settings.topic_dedupe}`", "`NEWSFLOW_TOPIC_DEDUPE`", "2", ""],
        [f"`{settings.country_topic('KP')}`", "`NEWSFLOW_ALERT_COUNTRY_TOPICS`", "4", ""],
        ["`someone.elses`", "", "4", ""],
    ]


def test_cli_reference_walks_subgroups_and_renders_each_parameter() -> None:
    @click.group()
    def tool() -> None:
        """A tool."""

    @tool.group()
    def things() -> None:
        """Things.

        \b
        kept as written
        """

    @things.command("list")
    @click.argument("names", nargs=-1)
    @click.option(
        "--format", "fmt", type=click.Choice(["json", "text"]), default="text", help="How."
    )
    @click.option("--tag", multiple=True, help="Only these.")
    @click.option("--all", "everything", is_flag=True, help="Everything.")
    def things_list(
        names: tuple[str, ...], fmt: str, tag: tuple[str, ...], everything: bool
    ) -> None:
        """List things."""

    text = reference.cli_markdown(tool, name="tool")

    assert [line for line in text.splitlines() if line.startswith("## ")] == [
        "## `tool`",
        "## `tool things`",
        "## `tool things list`",
    ]
    assert "\b" not in text
    assert "`tool things list [OPTIONS] [NAMES]...`" in text
    assert "| `NAMES...` | argument: text |  | optional |" in text
    assert "| `--format` | one of `json`, `text` | `text` | How. |" in text
    assert "| `--tag` | text, repeatable |  | Only these. |" in text
    assert "| `--all` | flag |  | Everything. |" in text


def test_reason_codes_table_lists_every_code() -> None:
    text = reference.reasons_markdown()
    assert all(f"| `{code}` | {meaning} |" in text for code, meaning in REASONS.items())


def test_event_types_come_from_the_rules_file_in_its_order(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[[event]]\ncode = "b_event"\ndescription = "B | b."\nrequires = "authority"\n'
        'weight = 0.3\nfamily = "measure"\n\n[[event]]\ncode = "a_event"\nweight = 0.7\n'
    )
    rows = [r for r in reference.event_types_markdown(rules).splitlines() if "| `" in r]
    assert rows == [
        "| `b_event` | B \\| b. | `authority` | 0.3 | `measure` |",
        "| `a_event` |  |  | 0.7 | `a_event` |",
    ]


def test_check_mode_reports_stale_files_and_writing_makes_them_current(tmp_path: Path) -> None:
    assert reference.main(["--check", "--out", str(tmp_path)]) == 1
    assert reference.main(["--out", str(tmp_path)]) == 0
    assert reference.main(["--check", "--out", str(tmp_path)]) == 0
