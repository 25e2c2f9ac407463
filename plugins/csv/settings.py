"""Settings of a CSV connection: which files, which columns, and how the files are encoded."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from funnelsync.connector import ConnectorSettings


class CsvLeadsFile(BaseModel):
    """The leads file: one row per lead, identified by its key column."""

    model_config = ConfigDict(extra="forbid")

    path: Path = Field(
        description=(
            "The leads CSV file; a relative path is relative to the workspace directory. "
            "A missing file is an empty system: the first write creates it."
        )
    )
    key_column: str = Field(
        default="email",
        min_length=1,
        description="Column that identifies a lead; its value is the record id writes match on.",
    )
    modified_column: str | None = Field(
        default=None,
        min_length=1,
        description=(
            "Column holding each row's last-modified ISO 8601 timestamp; reads then return only "
            "rows changed since the last run. Without it, the whole file is read again whenever "
            "its content changes."
        ),
    )


class CsvActivitiesFile(BaseModel):
    """The activities file: one row per activity (read only)."""

    model_config = ConfigDict(extra="forbid")

    path: Path = Field(
        description=(
            "The activities CSV file; a relative path is relative to the workspace directory. "
            "It must exist."
        )
    )
    id_column: str | None = Field(
        default=None,
        min_length=1,
        description=(
            "Column with a unique id per activity. Without it, an activity's id is a hash of its "
            "non-empty cells, so identical rows count as one activity."
        ),
    )
    modified_column: str | None = Field(
        default=None,
        min_length=1,
        description=(
            "Column holding each row's ISO 8601 timestamp (e.g. when it happened); reads then "
            "return only newer rows. Without it, the whole file is read again whenever its "
            "content changes."
        ),
    )


class CsvSettings(ConnectorSettings):
    """Settings of the ``csv`` connector."""

    leads: CsvLeadsFile = Field(description="The leads file, read and written.")
    activities: CsvActivitiesFile | None = Field(
        default=None, description="The activities file, read only; leave out if there is none."
    )
    activities_out: Path | None = Field(
        default=None,
        description=(
            "A CSV file funnelsync writes the contract's significant activities to (one row "
            "per timeline entry, once each); relative to the workspace directory. Leave out "
            "to write none."
        ),
    )
    delimiter: str = Field(
        default=",", description="The one character that separates cells, e.g. ';' or a tab."
    )
    encoding: str = Field(
        default="utf-8",
        description=(
            "Text encoding of both files, e.g. 'utf-8' or 'latin-1'. A byte-order mark at the "
            "start of a file is skipped on read and kept on write."
        ),
    )

    @model_validator(mode="after")
    def _activities_out_is_its_own_file(self) -> CsvSettings:
        out = self.activities_out
        if out is not None and out in (self.leads.path, getattr(self.activities, "path", None)):
            raise ValueError(f"activities_out {out} must not be the leads or activities file")
        return self

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, value: str) -> str:
        if len(value) != 1:
            raise ValueError(f"the delimiter must be exactly one character, not {value!r}")
        if value in '"\r\n':
            raise ValueError(f"{value!r} cannot be the delimiter (quote or line break)")
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            "".encode(value)
        except LookupError:
            raise ValueError(
                f"unknown text encoding {value!r}; expected e.g. 'utf-8', 'latin-1', 'cp1252'"
            ) from None
        return value
