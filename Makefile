# Carrier — the two commands a fresh Debian 12 machine with Swift 6 needs:
#   make demo   install what is missing, build, send the example messages to ./outbox/ and render one for Mailtrap
#   make test   install what is missing, build, and run every test
SWIFT ?= swift
CONFIGURATION ?= debug
BIN = .build/$(CONFIGURATION)/carrier
# System packages: the C libraries, and the real servers and parsers the tests talk to.
APT_PACKAGES = libcurl4-openssl-dev libyaml-dev libssl-dev pkg-config openssl ca-certificates \
               python3 python3-aiosmtpd python3-jsonschema python3-yaml python3-botocore python3-cryptography python3-venv postfix time \
               swaks libnet-ssleay-perl python3-prometheus-client curl postgresql \
               python3-dkim python3-nacl
# Test peers from PyPI, in a virtual environment that also sees Debian's packages.
PIP_PACKAGES = moto[server]==5.2.5
VENV = .build/test-venv

.PHONY: deps test-deps build release demo test test-swift test-providers lint bench clean install fuzz

deps:
	@scripts/install-deps.sh $(APT_PACKAGES)

build: deps
	$(SWIFT) build -c $(CONFIGURATION)

# The binary to deploy: the Swift runtime and Foundation linked in (no libswiftCore.so to install,
# and a start 1.5x faster: no symbols bound across Swift's shared libraries; docs/performance.md).
release:
	$(SWIFT) build -c release --static-swift-stdlib

demo: build
	@echo "== sending the example messages through the embedded default (.eml files in ./outbox/)"
	$(BIN) send examples/messages/order-confirmation.json
	$(BIN) send examples/messages/welcome.yaml
	@echo "== a failover route: the primary is down (nothing listens), so the message goes to the next account"
	$(BIN) send --config examples/failover.yaml --json examples/messages/order-confirmation.json
	@echo "== the same order confirmation, rendered as the Mailtrap API request (nothing is sent)"
	$(BIN) render --config examples/carrier.yaml --account mailtrap examples/messages/order-confirmation.json

test-providers: build
	$(BIN) providers test --config examples/carrier.yaml

test-deps: deps
	@mkdir -p .build && (test -x $(VENV)/bin/python || /usr/bin/python3 -m venv --system-site-packages $(VENV))
	@$(VENV)/bin/python -c 'import moto' 2>/dev/null || $(VENV)/bin/pip install -q '$(PIP_PACKAGES)'

test-swift: build test-deps
	$(SWIFT) test -c $(CONFIGURATION)

test: test-providers test-swift

lint: build
	$(BIN) providers lint providers/*.yaml

bench: deps
	@scripts/install-deps.sh hyperfine
	bench/render.sh

# Coverage-guided fuzzing (Fuzz/README.md): a release build with ASan and libFuzzer in its own
# folder, seeded from the repository's inputs; FUZZ_SECONDS per target (default 60).
FUZZ_OUT = .build-fuzz
FUZZER_LIB = $(firstword $(wildcard $(dir $(realpath $(shell command -v swiftc)))../lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a))
fuzz: deps
	$(SWIFT) build -c release --scratch-path $(FUZZ_OUT) --product carrier-fuzz -Xswiftc -DFUZZING \
		-Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp \
		-Xlinker $(FUZZER_LIB) -Xlinker -lstdc++
	python3 Fuzz/seed.py $(FUZZ_OUT)/corpus
	Fuzz/run.sh $(FUZZ_OUT)/release/carrier-fuzz $(FUZZ_OUT) $(FUZZ_TARGETS)

install: release
	install -D .build/release/carrier /usr/local/bin/carrier

clean:
	rm -rf .build outbox
