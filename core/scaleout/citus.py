"""Citus: tenant tables distributed by ``community_id``, global tables as reference tables.

Generated from the models' metadata, so a new table is covered the day it is written. A
community's rows then live on one worker, and every query scoped to one community (all of
them, thanks to the tenancy layers) is routed to that worker whole. What Citus needs, and
``fit_problems`` checks:
- the distribution column in every tenant table's primary key and unique constraints;
- a foreign key between tenant tables pairs ``community_id`` with ``community_id`` (the rows
  are on the same shard: the tables are co-located);
- a tenant table may point at a global (reference) table, never the other way round;
- no ``ON DELETE SET NULL/SET DEFAULT`` on a key that includes the distribution column.
"""

from sqlalchemy import Index, MetaData, Table, UniqueConstraint

from core.db import Base, tenant_tables

DISTRIBUTION_COLUMN = "community_id"


def plan(metadata: MetaData | None = None, tenant_names: set[str] | None = None):
    """(reference tables, distributed tables), each in dependency order."""
    metadata = metadata if metadata is not None else Base.metadata
    if tenant_names is None:
        tenant_names = {t.name for t in tenant_tables()}
    ordered = metadata.sorted_tables
    return (
        [t for t in ordered if t.name not in tenant_names],
        [t for t in ordered if t.name in tenant_names],
    )


def statements(metadata: MetaData | None = None, tenant_names: set[str] | None = None) -> list[str]:
    """Reference tables first (tenant tables point at them), then the tenant tables, the
    first one opening a colocation group that every other joins."""
    reference, distributed = plan(metadata, tenant_names)
    lines = [f"SELECT create_reference_table('{t.name}');" for t in reference]
    anchor = None
    for table in distributed:
        colocate = anchor or "none"
        lines.append(
            f"SELECT create_distributed_table('{table.name}', '{DISTRIBUTION_COLUMN}', "
            f"colocate_with => '{colocate}');"
        )
        anchor = anchor or table.name
    return lines


def fit_problems(metadata: MetaData | None = None, tenant_names: set[str] | None = None) -> list[str]:
    reference, distributed = plan(metadata, tenant_names)
    distributed_names = {t.name for t in distributed}
    problems = []
    for table in distributed:
        problems += _tenant_table_problems(table, distributed_names)
    for table in reference:
        for fk in table.foreign_key_constraints:
            if fk.referred_table.name in distributed_names:
                problems.append(
                    f"{table.name}: a global (reference) table with a foreign key to the tenant "
                    f"table {fk.referred_table.name}"
                )
    return problems


def _tenant_table_problems(table: Table, distributed_names: set[str]) -> list[str]:
    if DISTRIBUTION_COLUMN not in table.c:
        return [f"{table.name}: no {DISTRIBUTION_COLUMN} column"]
    problems = []
    if DISTRIBUTION_COLUMN not in table.primary_key.columns:
        problems.append(f"{table.name}: primary key without {DISTRIBUTION_COLUMN}")
    uniques = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
    uniques += [i for i in table.indexes if isinstance(i, Index) and i.unique]
    for unique in uniques:
        names = [c.name for c in unique.columns]
        if DISTRIBUTION_COLUMN not in names:
            problems.append(f"{table.name}: unique ({', '.join(names)}) without {DISTRIBUTION_COLUMN}")
    for fk in table.foreign_key_constraints:
        pairs = {(e.parent.name, e.column.name) for e in fk.elements}
        columns = ", ".join(e.parent.name for e in fk.elements)
        target = fk.referred_table.name
        if target in distributed_names and (DISTRIBUTION_COLUMN, DISTRIBUTION_COLUMN) not in pairs:
            problems.append(
                f"{table.name}: foreign key ({columns}) to tenant table {target} does not pair "
                f"{DISTRIBUTION_COLUMN} with {DISTRIBUTION_COLUMN}"
            )
        local = {p for p, _ in pairs}
        if DISTRIBUTION_COLUMN in local and (fk.ondelete or "").upper() in {"SET NULL", "SET DEFAULT"}:
            problems.append(f"{table.name}: ON DELETE {fk.ondelete} on ({columns}) would change "
                            f"{DISTRIBUTION_COLUMN}")
    return problems
