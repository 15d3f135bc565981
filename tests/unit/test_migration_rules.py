"""The rolling-deploy rule (oms/migration_rules.py): expand-only migrations, contract steps
declared; and every migration since the rule keeps it."""

from __future__ import annotations

from pathlib import Path

import pytest

from oms.migration_rules import RULE_SINCE, migration_number, rolling_deploy_problems

VERSIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"


def migration(body: str, header: str = "") -> str:
    lines = "\n".join("    " + line for line in body.strip().splitlines())
    return f"import sqlalchemy as sa\nfrom alembic import op\n{header}\n\ndef upgrade():\n{lines}\n"


@pytest.mark.parametrize("body", [
    "op.create_table('t', sa.Column('id', sa.Integer(), primary_key=True))",
    "op.add_column('t', sa.Column('note', sa.String(20), nullable=True))",
    "op.add_column('t', sa.Column('n', sa.Integer(), nullable=False, server_default='0'))",
    "op.create_index('ix_t_note', 't', ['note'])",
    "with op.batch_alter_table('t') as b:\n    b.add_column(sa.Column('d', sa.Date()))",
])
def test_expand_steps_pass(body: str) -> None:
    assert rolling_deploy_problems(migration(body)) == []


@pytest.mark.parametrize(("body", "expected"), [
    ("op.drop_column('t', 'note')", "drop_column drops a column"),
    ("with op.batch_alter_table('t') as b:\n    b.drop_column('note')", "drops a column"),
    ("op.drop_table('t')", "drops a table"),
    ("op.alter_column('t', 'note', nullable=False)", "changes a column"),
    ("op.alter_column('t', 'note', new_column_name='memo')", "changes a column"),
    ("op.rename_table('t', 'u')", "renames a table"),
    ("op.create_check_constraint('ck', 't', 'n >= 0')", "check constraint"),
    ("op.execute('UPDATE t SET n = 1')", "runs SQL"),
    ("op.add_column('t', sa.Column('n', sa.Integer(), nullable=False))",
     "NOT NULL column without a server_default"),
])
def test_contract_steps_are_named_with_their_line(body: str, expected: str) -> None:
    problems = rolling_deploy_problems(migration(body))
    assert len(problems) == 1
    assert problems[0].startswith("line ") and expected in problems[0]


def test_a_declared_contract_step_passes() -> None:
    header = 'ROLLING_DEPLOY = "contract: release 41 stopped reading note"'
    assert rolling_deploy_problems(migration("op.drop_column('t', 'note')", header)) == []


@pytest.mark.parametrize("header", [
    'ROLLING_DEPLOY = "contract:"',          # no reason given
    'ROLLING_DEPLOY = "expand"',
    'ROLLING_DEPLOY = f"contract: {x}"',     # not a plain string the rule can read
])
def test_a_declaration_needs_a_reason(header: str) -> None:
    assert rolling_deploy_problems(migration("op.drop_column('t', 'note')", header))


def test_downgrade_is_not_checked() -> None:
    source = migration("op.add_column('t', sa.Column('n', sa.Integer()))")
    source += "\n\ndef downgrade():\n    op.drop_column('t', 'n')\n"
    assert rolling_deploy_problems(source) == []


def test_migration_number() -> None:
    assert migration_number("0024_pickup_slots.py") == 24
    assert migration_number("env.py") is None


def test_every_migration_since_the_rule_is_rolling_safe() -> None:
    checked = {}
    for path in sorted(VERSIONS.glob("*.py")):
        number = migration_number(path.name)
        if number is not None and number >= RULE_SINCE:
            checked[path.name] = rolling_deploy_problems(path.read_text())
    assert {name: problems for name, problems in checked.items() if problems} == {}


def test_the_rule_would_have_caught_a_historic_contract_step() -> None:
    # 0007 moved api-key locations to their own table and dropped the old column in one
    # release: fine with every process stopped, not in a rolling deploy.
    source = (VERSIONS / "0007_key_locations.py").read_text()
    assert any("drop_column" in p for p in rolling_deploy_problems(source))
