"""Loading a workspace: the config file, its funnel contract, and each connection's settings.

Everything is checked before anything runs; all problems found are reported together.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from funnelsync.config import ConnectionConfig, WorkspaceConfig, effective_mapping
from funnelsync.connector import Connector, ConnectorContext, ConnectorSettings
from funnelsync.contract import (
    FieldCondition,
    FunnelContract,
    OwnershipKind,
    OwnershipRule,
    known_field_names,
)
from funnelsync.mapping import STAGE_DATES_PREFIX, Mapping
from funnelsync.models import DESCRIPTIVE_FIELDS
from funnelsync.plugin_manager import FunnelPlugins
from funnelsync.secrets import register_model_secrets
from funnelsync.shared_limits import SharedLimits
from funnelsync.sync.workspace.errors import (
    ConfigError,
    ConfigProblem,
    key_path,
    line_for,
    problems_from_validation,
)
from funnelsync.sync.workspace.interpolation import interpolate, interpolate_channels
from funnelsync.sync.workspace.yaml_source import YamlDocument, load_yaml

CONFIG_ENV = "FUNNELSYNC_CONFIG"
DEFAULT_CONFIG = Path("funnelsync.yaml")


def default_config_path() -> Path:
    """``$FUNNELSYNC_CONFIG`` if set, else ``./funnelsync.yaml``."""
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


@dataclass(frozen=True, slots=True)
class Connection:
    """A configured connection, ready to open: connector class, settings and mapping."""

    name: str
    config: ConnectionConfig
    connector_class: type[Connector]
    settings: ConnectorSettings
    mapping: Mapping

    def open(
        self,
        workspace_dir: Path,
        state_dir: Path | None = None,
        limits: SharedLimits | None = None,
    ) -> Connector:
        """A connector instance for this connection (``state_dir``: the workspace's;
        ``limits``: those shared under its ``budget_key``)."""
        context = ConnectorContext(self.name, workspace_dir, state_dir, limits)
        return self.connector_class(self.settings, context)


@dataclass(frozen=True, slots=True)
class Workspace:
    """A loaded, validated workspace."""

    config_path: Path
    config: WorkspaceConfig
    contract_path: Path
    contract: FunnelContract
    connections: tuple[Connection, ...]

    @property
    def root(self) -> Path:
        """The directory of the config file; relative paths start here."""
        return self.config_path.parent

    @property
    def state_dir(self) -> Path:
        """Where this workspace keeps its state."""
        return self.root / self.config.state_dir

    @property
    def state_url(self) -> str | None:
        """The state database's URL when the config names one (PostgreSQL), else None."""
        state = self.config.state
        return state.url.get_secret_value() if state else None


def _validate_config(doc: YamlDocument) -> WorkspaceConfig:
    try:
        return WorkspaceConfig.model_validate(doc.data)
    except ValidationError as exc:
        raise ConfigError(
            problems_from_validation(exc, WorkspaceConfig, doc.path, doc.lines)
        ) from None


def _validate_contract(doc: YamlDocument) -> FunnelContract:
    try:
        return FunnelContract.model_validate(doc.data)
    except ValidationError as exc:
        raise ConfigError(
            problems_from_validation(exc, FunnelContract, doc.path, doc.lines)
        ) from None


def _problem(doc: YamlDocument, loc: tuple[str | int, ...], message: str) -> ConfigProblem:
    return ConfigProblem(doc.path, key_path(loc), message, line_for(doc.lines, loc))


def _contract_problems(
    contract: FunnelContract, doc: YamlDocument, names: set[str], plugins: FunnelPlugins
) -> list[ConfigProblem]:
    problems = [_problem(doc, loc, message) for loc, message in contract.problems()]
    known = ", ".join(sorted(names))
    for group, stages in (("stages", contract.stages), ("detours", contract.detours)):
        for index, stage in enumerate(stages):
            for connection in stage.values:
                if connection not in names:
                    problems.append(
                        _problem(
                            doc,
                            (group, index, "values", connection),
                            f"no connection named {connection!r} in the config (have: {known})",
                        )
                    )
    kinds = plugins.rule_kinds()
    conditions: list[tuple[tuple[str | int, ...], FieldCondition]] = [
        (("scoring", "fit", "rules", index), rule)
        for index, rule in enumerate(contract.scoring.fit.rules)
    ]
    for group, stages in (("stages", contract.stages), ("detours", contract.detours)):
        for index, stage in enumerate(stages):
            if stage.entry is not None:
                conditions += [
                    ((group, index, "entry", "when", number), condition)
                    for number, condition in enumerate(stage.entry.when)
                ]
    for loc, condition in conditions:
        if condition.kind is None:
            continue
        kind = kinds.get(condition.kind)
        if kind is None:
            available = ", ".join(sorted(kinds)) or "none"
            message = f"unknown rule kind {condition.kind!r} (installed: {available})"
            problems.append(_problem(doc, (*loc, "kind"), message))
            continue
        try:
            kind.check_args(condition.field, condition.args)
        except ValueError as exc:
            problems.append(_problem(doc, (*loc, "args"), str(exc)))
    rules: list[tuple[tuple[str | int, ...], OwnershipRule]] = [
        (("ownership", field), rule) for field, rule in contract.ownership.items()
    ]
    rules.append((("default_ownership",), contract.default_ownership))
    for loc, rule in rules:
        if rule.rule in (OwnershipKind.prefer, OwnershipKind.always) and rule.system not in names:
            problems.append(
                _problem(
                    doc,
                    loc,
                    f"names system {rule.system!r}, which is not a connection (have: {known})",
                )
            )
    return problems


def _did_you_mean(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _identity_problems(
    config: WorkspaceConfig, contract: FunnelContract, doc: YamlDocument
) -> list[ConfigProblem]:
    """Identity keys must be built-in descriptive fields or attributes of the contract."""
    allowed = ["email", *DESCRIPTIVE_FIELDS, *contract.attributes]
    return [
        _problem(
            doc,
            ("identity", "keys", index),
            f"{key!r} cannot identify a person: expected email, a descriptive lead field or "
            f"an attribute of the contract{_did_you_mean(key, allowed)}",
        )
        for index, key in enumerate(config.identity.keys)
        if key not in allowed or key == "created_at"
    ]


def _connection(
    name: str,
    config: ConnectionConfig,
    contract: FunnelContract,
    plugins: FunnelPlugins,
    doc: YamlDocument,
    keys: Sequence[str] = ("email",),
) -> Connection | list[ConfigProblem]:
    base: tuple[str | int, ...] = ("connections", name)
    try:
        connector_class = plugins.connector(config.connector)
    except KeyError as exc:
        message = str(exc.args[0]) + _load_failures(plugins)
        return [_problem(doc, (*base, "connector"), message)]
    try:
        settings = connector_class.settings_model.model_validate(config.settings)
    except ValidationError as exc:
        return problems_from_validation(
            exc, connector_class.settings_model, doc.path, doc.lines, (*base, "settings")
        )
    register_model_secrets(settings)
    mapping = effective_mapping(connector_class.mapping_for(settings), config, contract, name)
    stage_names = {stage.name for stage in contract.all_stages}
    problems = []
    fields = known_field_names(set(contract.attributes))
    for field in mapping.active_lead_fields():
        if not field.startswith(STAGE_DATES_PREFIX) and field not in fields:
            problems.append(
                _problem(
                    doc,
                    (*base, "mapping", "lead_fields", field),
                    f"unknown lead field {field!r}: not a built-in field nor an attribute of "
                    f"the contract{_did_you_mean(field, fields)}",
                )
            )
        stage = field.removeprefix(STAGE_DATES_PREFIX)
        if field.startswith(STAGE_DATES_PREFIX) and stage not in stage_names:
            known = ", ".join(sorted(stage_names))
            problems.append(
                _problem(
                    doc,
                    (*base, "mapping", "lead_fields", field),
                    f"the contract has no stage {stage!r} (stages: {known})",
                )
            )
    from_stage = config.create_from_stage
    if from_stage is not None and contract.path_index(from_stage) is None:
        path = ", ".join(stage.name for stage in contract.stages)
        problems.append(
            _problem(
                doc,
                (*base, "create_from_stage"),
                f"{from_stage!r} is not a success-path stage of the contract ({path})",
            )
        )
    mapped = mapping.active_lead_fields()
    if connector_class.capabilities.read_leads and not any(key in mapped for key in keys):
        loc = (*base, "mapping", "lead_fields")
        wanted = "email" if list(keys) == ["email"] else f"any identity key ({', '.join(keys)})"
        problems.append(
            ConfigProblem(
                doc.path, key_path(loc), f"no field is mapped to {wanted}", line_for(doc.lines, loc)
            )
        )
    lead_key = mapping.lead_key
    if lead_key is not None and lead_key.key not in keys:
        problems.append(
            _problem(
                doc,
                (*base, "mapping", "lead_key", "key"),
                f"{lead_key.key!r} is not an identity key (identity: keys: {', '.join(keys)})",
            )
        )
    if problems:
        return problems
    return Connection(name, config, connector_class, settings, mapping)


def _state_dir_problem(state_dir: Path) -> str | None:
    """Why ``state_dir`` cannot be a directory (it or a parent is a file), if it cannot."""
    for path in (state_dir, *state_dir.parents):
        if path.exists():
            if path.is_dir():
                return None
            return f"{path} is a file, not a directory; point state_dir at a directory"
    return None


def _load_failures(plugins: FunnelPlugins) -> str:
    """The plugins that failed to load (one may have held the missing connector), if any."""
    if not plugins.failures:
        return ""
    failed = "; ".join(
        f"plugin {failure.name!r}"
        + (f" ({failure.distribution})" if failure.distribution else "")
        + f" failed to load: {failure.error}"
        for failure in plugins.failures
    )
    return f"; {failed} (see `funnelsync plugins`)"


def load_workspace(config_path: Path, plugins: FunnelPlugins) -> Workspace:
    """Load and check ``config_path`` and its contract; raise :class:`ConfigError` if wrong."""
    config_path = config_path.resolve()
    config_doc = load_yaml(config_path)
    data, missing = interpolate(config_doc.data, os.environ)
    if missing:
        raise ConfigError([_problem(config_doc, loc, message) for loc, message in missing])
    config_doc = YamlDocument(config_doc.path, data, config_doc.lines)
    config = _validate_config(config_doc)
    register_model_secrets(config)
    state_problem = _state_dir_problem(config_path.parent / config.state_dir)
    if state_problem is not None:
        raise ConfigError([_problem(config_doc, ("state_dir",), state_problem)])
    contract_path = (config_path.parent / config.contract).resolve()
    if not contract_path.is_file():
        raise ConfigError(
            [_problem(config_doc, ("contract",), f"contract file {contract_path} not found")]
        )
    contract_doc = interpolate_channels(load_yaml(contract_path), os.environ)
    contract = _validate_contract(contract_doc)
    register_model_secrets(contract)
    problems = _contract_problems(contract, contract_doc, set(config.connections), plugins)
    problems += _identity_problems(config, contract, config_doc)
    connections = []
    for name, connection_config in config.connections.items():
        result = _connection(
            name, connection_config, contract, plugins, config_doc, config.identity.keys
        )
        if isinstance(result, list):
            problems.extend(result)
        else:
            connections.append(result)
    if problems:
        raise ConfigError(problems)
    return Workspace(config_path, config, contract_path, contract, tuple(connections))
