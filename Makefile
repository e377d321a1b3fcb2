# keyaudit — the two commands that matter: `make demo` and `make test`.
SWIFT ?= swift
PREFIX ?= /usr/local
BINDIR = $(PREFIX)/bin
SHAREDIR = $(PREFIX)/share/keyaudit
MANDIR = $(PREFIX)/share/man/man1
OUTPUT ?= reports

.PHONY: all deps build release demo test lint bench fuzz install uninstall templates golden format clean

all: build

## deps: install libxlsxwriter-dev, pkg-config and openssh-client (ssh-keygen, for the tests) when missing (apt-get, sudo when not root)
deps:
	@./scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product keyaudit

## demo: audit the embedded sample account and write a run folder under reports/
demo: deps
	$(SWIFT) build --product keyaudit
	$(SWIFT) run keyaudit run --demo --output $(OUTPUT)
	@echo "demo run written to $(OUTPUT)/latest/ (report.md, report.html, report.xlsx)"

## test: the whole test suite (what CI runs): formatting, the build with every import checked against
## Package.swift (a stage cannot reach a later one), then every test
test: deps lint
	$(SWIFT) build --build-tests --explicit-target-dependency-import-check error
	$(SWIFT) test --skip-build

## fuzz: libFuzzer on the JSON parser, timestamps, policies and snapshots, FUZZ_SECONDS (60) each; builds into
## .build/fuzz with --sanitize fuzzer (FUZZ_ASAN=1: with AddressSanitizer too, into .build/fuzz-asan); the
## test command runs a short seeded pass of the same checks instead
FUZZ_SECONDS ?= 60
FUZZ_ASAN ?= 0
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_ASAN=$(FUZZ_ASAN) SWIFT=$(SWIFT) ./scripts/fuzz.sh

## lint: swift format in strict mode, with the .swift-format at the root (`make format` fixes most of it)
lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Fuzz Package.swift

## bench: the performance benchmark (release build; 10k, 100k and 300k keys; python3 dumps report.xlsx's cells
## for the exact C floor, scripts/xlsx-cells.py)
bench: deps
	@command -v python3 >/dev/null || { echo "make bench: python3 not found; the exact C floor needs it to read report.xlsx (apt-get install python3)" >&2; exit 1; }
	$(SWIFT) build -c release --product keyaudit
	$(SWIFT) build -c release --product keyaudit-bench
	cc -O2 scripts/xlsx-floor.c $$(pkg-config --cflags --libs xlsxwriter) -o .build/release/xlsx-floor
	./.build/release/keyaudit-bench $(BENCH_ARGS)

## install: release binary, man page and a copy of the default templates
install: release
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHAREDIR)/templates $(DESTDIR)$(MANDIR)
	install -m 0755 .build/release/keyaudit $(DESTDIR)$(BINDIR)/keyaudit
	install -m 0644 templates/*.mustache templates/*.yml templates/README.md $(DESTDIR)$(SHAREDIR)/templates/
	install -m 0644 deploy/keyaudit.1 $(DESTDIR)$(MANDIR)/keyaudit.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/keyaudit $(DESTDIR)$(MANDIR)/keyaudit.1
	rm -rf $(DESTDIR)$(SHAREDIR)

## templates: regenerate the built-in templates from templates/ (after editing them)
templates:
	./scripts/embed-templates.sh

## golden: regenerate the golden report files the tests compare with (review the diff before committing)
golden: deps
	KEYAUDIT_UPDATE_GOLDEN=1 $(SWIFT) test --filter GoldenReportTests

format:
	$(SWIFT) format --in-place --recursive Sources Tests Fuzz Package.swift

clean:
	rm -rf .build
