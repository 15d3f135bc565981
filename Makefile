.PHONY: run test bench clean

# Run the OMS with demo data on the embedded SQLite database (no Redis, no PostgreSQL needed).
run:
	./scripts/run.sh

# The whole test suite on SQLite and a throwaway PostgreSQL + Redis this command starts itself.
test:
	./scripts/test.sh

# Benchmarks (by hand; they print figures): see bench/README.md.
bench:
	./scripts/bootstrap.sh test && .venv/bin/python bench/ledger_bench.py

clean:
	rm -rf .venv var .pytest_cache .ruff_cache .hypothesis
