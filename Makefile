# The README's commands. Each one installs what is missing first (scripts/setup).
.PHONY: run test bench build setup format clean

setup:
	@bash scripts/setup

build: setup
	@cmake --preset release >/dev/null
	@cmake --build build/release --target herald

# Herald on port 5005 with the embedded bus, the demo page and a clock event every second.
run: build
	build/release/herald --config config/demo.toml

# Unit tests, integration tests (real WebSocket clients), the browser test and a short fuzz
# run, all against the AddressSanitizer+UndefinedBehaviorSanitizer build.
test: setup
	@bash scripts/test

bench: setup
	@bash scripts/bench

format:
	@bash scripts/format

clean:
	rm -rf build
