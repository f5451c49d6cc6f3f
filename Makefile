# The two commands of the README.
.PHONY: run test bench bundle bundle-windows

run:            ## set up (first time) and start the app on the bundled default database
	scripts/setup.sh
	.venv/bin/polyclinic

test:           ## set up (first time) and run every test
	scripts/setup.sh --test
	QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q

bench:          ## run every benchmark and write docs/benchmarks.md
	.venv/bin/python bench/run_all.py

bundle:         ## build the one-folder PyInstaller bundle in dist/polyclinic and smoke-test it
	scripts/setup.sh --test
	.venv/bin/python -m pip install -q -e ".[build]"
	.venv/bin/pyinstaller build.spec --noconfirm --log-level WARN
	scripts/smoke_bundle.sh dist/polyclinic

bundle-windows: ## the Windows bundle and installer in dist/windows, built under Wine, signed, smoke-tested
	scripts/setup.sh
	scripts/build_windows.sh
	scripts/smoke_windows.sh
