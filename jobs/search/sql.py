"""SQL building blocks: WHERE clauses, tsquery lexemes and transaction-local settings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass
class _Where:
    """A WHERE clause with its parameters (psycopg `%s` placeholders)."""

    sql: str
    params: list[Any]

    def __and__(self, other: _Where) -> _Where:
        return _Where(f"({self.sql}) AND ({other.sql})", [*self.params, *other.params])


def _lexeme(text: str) -> str:
    """`text` as one quoted tsquery lexeme."""
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def _without_phrases(tsquery: str) -> str:
    """The tsquery with its phrases loosened to plain AND, which the index answers alone."""
    return re.sub(r"<(?:-|\d+)>", "&", tsquery)


def _set_local(cursor, values: dict[str, str]) -> dict[str, str | None]:
    """Set settings until the end of the transaction; return what they were (None: unset)."""
    names = list(values)
    columns = ["current_setting(%s, true)"] * len(names) + ["set_config(%s, %s, true)"] * len(names)
    params: list[Any] = [*names, *(x for name in names for x in (name, values[name]))]
    cursor.execute("SELECT " + ", ".join(columns), params)
    row = cursor.fetchone()
    return dict(zip(names, row[: len(names)], strict=True))


def _restore(cursor, old: dict[str, str | None]) -> None:
    items = [(name, value) for name, value in old.items() if value is not None]
    if items:
        cursor.execute(
            "SELECT " + ", ".join(["set_config(%s, %s, true)"] * len(items)),
            [x for item in items for x in item],
        )
