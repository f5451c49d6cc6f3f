# The two commands of the README.
.PHONY: run test bench

run:            ## set up (first time) and start the app on the bundled default database
	scripts/setup.sh
	.venv/bin/polyclinic

test:           ## set up (first time) and run every test
	scripts/setup.sh --test
	QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q

bench:          ## print the benchmark figures
	.venv/bin/python bench/run_all.py
