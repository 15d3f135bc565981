"""The two trees the intake comparison measures (bench/intake_compare.py): this checkout ("new")
and a baseline commit checked out into a temporary git worktree, removed at the end; the
environment that makes a process run a given tree's code; and proof of what it imported.

Why the proof: the virtualenv holds an editable install of the project, whose import hook maps
`oms`, `core`, ... to the checkout it was installed from. A process imports a tree's modules
only when that tree comes first on sys.path: `flask --app wsgi` and gunicorn put their working
directory there, and every process started here also gets PYTHONPATH=<tree>. The benchmark
asks each running process where its modules came from (`imported_from`, the gunicorn probe in
bench/probe/) and stops if any came from elsewhere.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench_common import log

# The modules whose origin is checked: the entry point and one hot-path module per package.
PROBED_MODULES = ("wsgi", "oms", "oms.app", "oms.orders", "core.db", "inventory.ledger",
                  "fulfillment.planning")


@dataclass(frozen=True)
class Tree:
    label: str  # "base" or "new"
    path: Path
    commit: str  # full hash of HEAD
    describe: str  # "a40bb6e One reader for ..." (+ a note when the checkout has changes)

    @property
    def short(self) -> str:
        return self.commit[:7]


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, text=True,
                          capture_output=True).stdout.strip()


def _describe(path: Path) -> str:
    line = _git(path, "log", "-1", "--format=%h %s")
    if len(line) > 90:
        line = line[:87] + "..."
    dirty = _git(path, "status", "--porcelain", "--untracked-files=no")
    return line + (" (+ uncommitted changes)" if dirty else "")


def current_tree(root: Path) -> Tree:
    """The checkout this benchmark lives in, as it is on disk (uncommitted changes included)."""
    return Tree("new", root, _git(root, "rev-parse", "HEAD"), _describe(root))


@contextmanager
def baseline_worktree(root: Path, rev: str) -> Iterator[Tree]:
    """`git worktree add --detach <tmp>/tree REV`, removed (and pruned) on the way out, also
    on failure or Ctrl-C."""
    commit = _git(root, "rev-parse", "--verify", f"{rev}^{{commit}}")
    tmp = Path(tempfile.mkdtemp(prefix="oms-bench-baseline-"))
    path = tmp / "tree"
    subprocess.run(["git", "-C", str(root), "worktree", "add", "--detach", str(path), commit],
                   check=True, capture_output=True, text=True)
    try:
        yield Tree("base", path, commit, _describe(path))
    finally:
        subprocess.run(["git", "-C", str(root), "worktree", "remove", "--force", str(path)],
                       check=False, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run(["git", "-C", str(root), "worktree", "prune"], check=False,
                       capture_output=True)
        log(f"removed the baseline worktree {path}")


def tree_env(tree: Tree, env: dict[str, str], *extra_paths: Path) -> dict[str, str]:
    """`env` for a process that must run `tree`'s code: PYTHONPATH starts with the tree (then
    `extra_paths`, e.g. the gunicorn probe's directory), ahead of the editable install."""
    paths = [str(tree.path), *(str(p) for p in extra_paths)]
    return {**env, "PYTHONPATH": ":".join(paths)}


def imported_from(tree: Tree, env: dict[str, str]) -> dict[str, str]:
    """Where a Python started like the tree's CLI (cwd = the tree, `env`) imports PROBED_MODULES
    from (importing `wsgi` builds the app, as `flask --app wsgi` does)."""
    code = ("import importlib, json, sys\n"
            f"names = {PROBED_MODULES!r}\n"
            "for n in names: importlib.import_module(n)\n"
            "print(json.dumps({n: sys.modules[n].__file__ for n in names}))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=tree.path, env=env, text=True,
                         capture_output=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f"cannot import the {tree.label} tree's modules:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def outside(tree: Tree, origins: dict[str, str]) -> list[str]:
    """The modules in `origins` (name -> file) that did not come from `tree`."""
    root = tree.path.resolve()
    return [f"{name} from {path}" for name, path in origins.items()
            if not path or not Path(path).resolve().is_relative_to(root)]


def check_origins(tree: Tree, what: str, origins: dict[str, str]) -> None:
    """Print where `what` imported the app from; stop the run if not from `tree`."""
    wrong = outside(tree, origins)
    name = "oms.orders" if "oms.orders" in origins else next(iter(origins), "?")
    log(f"  {tree.label} ({tree.short}) {what}: {name} from {origins.get(name)}"
        + ("" if wrong else f" (all {len(origins)} probed modules under {tree.path})"))
    if wrong:
        raise SystemExit(f"!! {what} of the {tree.label} tree imported code from elsewhere: "
                         + "; ".join(wrong))
