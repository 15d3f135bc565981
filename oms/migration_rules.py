"""The rolling-deploy rule for migrations: expand first, contract a release later.

During a rolling deploy old and new code run side by side on the migrated schema, so a
migration must not break the code of the release before it. An *expand* migration only adds:
tables, nullable columns or columns with a server default, indexes. Anything else (dropping or
renaming a table or column, changing a column, a new constraint old code's writes may violate,
a data migration) is a *contract* step: it ships in a later release, once no process of the
old code runs, and says so in its module (`ROLLING_DEPLOY = "contract: <why it is safe now>"`).
See docs/deploy.md, "Migrations during a rolling deploy".

Migrations written before the rule (up to `RULE_SINCE`) are not checked: they were deployed
with every process stopped.
"""

from __future__ import annotations

import ast
import re

RULE_SINCE = 24  # the first migration number the rule applies to

# Operations that take something old code relies on, or add a rule old code's writes may break.
CONTRACT_OPERATIONS = {
    "drop_table": "drops a table",
    "drop_column": "drops a column",
    "rename_table": "renames a table",
    "alter_column": "changes a column (type, nullability or name)",
    "drop_constraint": "drops a constraint",
    "create_check_constraint": "adds a check constraint old code's writes may violate",
    "create_unique_constraint": "adds a unique constraint old code's writes may violate",
    "create_foreign_key": "adds a foreign key old code's writes may violate",
    "execute": "runs SQL (a data migration or DDL the rule cannot read)",
}


def migration_number(filename: str) -> int | None:
    """`0024_something.py` -> 24; None for files that are not numbered migrations."""
    match = re.match(r"(\d+)_", filename)
    return int(match.group(1)) if match else None


def declared_contract(tree: ast.Module) -> str | None:
    """The module's `ROLLING_DEPLOY = "contract: ..."` reason, if it declares one."""
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == "ROLLING_DEPLOY"
                and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                and node.value.value.startswith("contract:")
                and node.value.value.removeprefix("contract:").strip()):
            return node.value.value
    return None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _adds_required_column(call: ast.Call) -> bool:
    """`add_column(sa.Column(..., nullable=False))` without a server default: old code's
    INSERTs do not name the column and would fail."""
    # op.add_column(table, column) or batch_op.add_column(column)
    column = next((arg for arg in call.args if isinstance(arg, ast.Call)), None)
    if column is None:
        return False
    nullable = _keyword(column, "nullable")
    not_null = isinstance(nullable, ast.Constant) and nullable.value is False
    primary = _keyword(column, "primary_key")
    if isinstance(primary, ast.Constant) and primary.value is True:
        not_null = True
    return not_null and _keyword(column, "server_default") is None


def rolling_deploy_problems(source: str) -> list[str]:
    """What in this migration's `upgrade()` would break the previous release's code, one line
    each (`line N: ...`); empty when it is expand-only or declares itself a contract step."""
    tree = ast.parse(source)
    if declared_contract(tree):
        return []
    upgrade = next((node for node in tree.body
                    if isinstance(node, ast.FunctionDef) and node.name == "upgrade"), None)
    if upgrade is None:
        return []
    problems = []
    for node in ast.walk(upgrade):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        operation = node.func.attr
        if operation in CONTRACT_OPERATIONS:
            problems.append(f"line {node.lineno}: {operation} {CONTRACT_OPERATIONS[operation]}")
        elif operation == "add_column" and _adds_required_column(node):
            problems.append(f"line {node.lineno}: add_column adds a NOT NULL column without a "
                            "server_default (the previous release's INSERTs would fail)")
    return sorted(problems, key=lambda p: int(p.split(":")[0].removeprefix("line ")))
