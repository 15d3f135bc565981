.PHONY: run test backup-drill cluster cluster-stop cluster-status bench bench-ledger bench-routing bench-orders bench-intake bench-fulfillment bench-chaos bench-returns bench-deliveries clean

# Run the OMS with demo data on the embedded SQLite database (no Redis, no PostgreSQL needed).
run:
	./scripts/run.sh

# The whole test suite on SQLite and a throwaway PostgreSQL + Redis this command starts itself.
test:
	./scripts/test.sh

# A point-in-time recovery drill on a throwaway PostgreSQL (docs/deploy.md, "Backups").
backup-drill:
	./scripts/bootstrap.sh test && ./scripts/backup_drill.sh

# Benchmarks (by hand; they print figures): see bench/README.md.
bench: bench-ledger bench-routing bench-orders bench-fulfillment bench-returns bench-deliveries

bench-ledger:
	./scripts/bootstrap.sh test && .venv/bin/python bench/ledger_bench.py

bench-routing:
	./scripts/bootstrap.sh test && .venv/bin/python bench/routing_bench.py

bench-orders:
	./scripts/bootstrap.sh test && .venv/bin/python bench/orders_bench.py

# Issue 13's proof: order intake of this tree against the commit the issue started from
# (a40bb6e, checked out into a temporary worktree), same machine and data, one run (~12 min;
# add ARGS=--quick for ~4-5 min). See bench/README.md "Intake: baseline against new".
BASELINE ?= a40bb6e
bench-intake:
	./scripts/bootstrap.sh test && .venv/bin/python bench/orders_bench.py --baseline $(BASELINE) $(ARGS)

clean:
	rm -rf .venv var .pytest_cache .ruff_cache .mypy_cache .hypothesis

bench-fulfillment:
	./scripts/bootstrap.sh test && .venv/bin/python bench/fulfillment_bench.py

# Randomized concurrency through the API (issue 9): 10 seeds x 10 rounds on PostgreSQL; more with
# `.venv/bin/python bench/random_ops.py --seeds 50 --rounds 20` (see bench/README.md).
bench-chaos:
	./scripts/bootstrap.sh test && .venv/bin/python bench/random_ops.py --seeds 10 --rounds 10

bench-returns:
	./scripts/bootstrap.sh test && .venv/bin/python bench/returns_bench.py

# Outbound webhook deliveries through 1 and 2 real RQ worker processes to a loopback receiver.
bench-deliveries:
	./scripts/bootstrap.sh test && .venv/bin/python bench/deliveries.py

# A local multi-process cluster (PostgreSQL primary + replica, Redis, 2 gunicorn behind haproxy,
# 2 RQ workers, 1 scheduler) that keeps running: see README "Running a local cluster".
CLUSTER_DIR ?= var/cluster
cluster:
	./scripts/bootstrap.sh test && ./scripts/services.sh ensure && .venv/bin/python scripts/cluster.py start --dir $(CLUSTER_DIR) $(ARGS)

cluster-stop:
	.venv/bin/python scripts/cluster.py stop --dir $(CLUSTER_DIR)

cluster-status:
	.venv/bin/python scripts/cluster.py status --dir $(CLUSTER_DIR)
