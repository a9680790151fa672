# provisioning: a SQLite extension for Microsoft Graph provisioning data.
#
#   make demo     build, make the sample, run sql/demo.sql
#   make test     unit, SQL, mock-server and client tests, plain and under
#                 AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench    benchmarks (N=100000 events by default)
#   make fuzz     libFuzzer targets, FUZZ_SECONDS each (default 60)
#
# On a fresh Debian machine the missing packages are installed with apt-get
# when run as root; otherwise the exact command is printed.

VERSION := $(shell cat VERSION)
CC ?= cc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wno-unused-parameter
VIS := -fvisibility=hidden
CPPFLAGS_EXT := -DPROV_VERSION='"$(VERSION)"' -Iext
LDLIBS_EXT := -lcurl -lcrypto

SRC := $(wildcard ext/*.c)
HDR := $(wildcard ext/*.h)

# Debian packages: build, then tests.
PKGS_BUILD := libsqlite3-dev sqlite3 libjsmn-dev libcurl4-openssl-dev libssl-dev
PKGS_TEST := time nodejs npm unixodbc libsqliteodbc python3 python3-pyodbc valgrind clang libclang-rt-14-dev curl openssl
# a file each package installs, to tell whether it is there
CHECK_libsqlite3-dev := /usr/include/sqlite3.h
CHECK_sqlite3 := /usr/bin/sqlite3
CHECK_libjsmn-dev := /usr/include/jsmn.h
CHECK_libcurl4-openssl-dev := /usr/include/x86_64-linux-gnu/curl/curl.h
CHECK_libssl-dev := /usr/include/openssl/evp.h
CHECK_nodejs := /usr/bin/node
CHECK_npm := /usr/bin/npm
CHECK_unixodbc := /usr/bin/isql
CHECK_libsqliteodbc := /usr/lib/x86_64-linux-gnu/odbc/libsqlite3odbc.so
CHECK_python3 := /usr/bin/python3
CHECK_python3-pyodbc := /usr/lib/python3/dist-packages/pyodbc.cpython-311-x86_64-linux-gnu.so
CHECK_valgrind := /usr/bin/valgrind
CHECK_clang := /usr/bin/clang
CHECK_libclang-rt-14-dev := /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a
CHECK_curl := /usr/bin/curl
CHECK_openssl := /usr/bin/openssl
CHECK_time := /usr/bin/time

missing = $(strip $(foreach p,$(1),$(if $(wildcard $(CHECK_$(p))),,$(if $(shell dpkg-query -W -f='$${Status}' $(p) 2>/dev/null | grep -q 'ok installed' && echo y),,$(p)))))

.PHONY: all deps deps-test demo test test-plain test-asan sample bench bench-check fuzz format clean mock-deps

all: deps provisioning.so

deps:
	@m="$(call missing,$(PKGS_BUILD))"; $(MAKE) --no-print-directory install-pkgs PKGS="$$m"

deps-test: deps
	@m="$(call missing,$(PKGS_TEST))"; $(MAKE) --no-print-directory install-pkgs PKGS="$$m"

install-pkgs:
	@if [ -n "$(strip $(PKGS))" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing: $(PKGS)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PKGS)) >/dev/null || \
	      { echo "apt-get install $(PKGS) failed"; exit 1; }; \
	  else \
	    echo "missing packages; run: sudo apt-get install -y $(PKGS)"; exit 1; \
	  fi; \
	fi

provisioning.so: $(SRC) $(HDR) VERSION
	$(CC) $(CFLAGS) $(WARN) $(VIS) -fPIC -shared $(CPPFLAGS_EXT) -o $@ $(SRC) $(LDLIBS_EXT)

# The same extension built with the sanitizers (loaded into sqlite3 with
# LD_PRELOAD of the runtime, see tests/run.sh).
build/asan/provisioning.so: $(SRC) $(HDR) VERSION
	@mkdir -p build/asan
	$(CC) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	  $(WARN) $(VIS) -fPIC -shared $(CPPFLAGS_EXT) -o $@ $(SRC) $(LDLIBS_EXT)

# Sample data: the demo's default, and the tests' (a fixed seed).
build/gen_events: sql/sample/gen_events.c
	@mkdir -p build
	$(CC) -O2 $(WARN) -o $@ $<

sql/sample/events.json: build/gen_events
	build/gen_events --count 10000 --out $@

sample: sql/sample/events.json

mock-deps: tests/mockgraph/node_modules/.installed

tests/mockgraph/node_modules/.installed: tests/mockgraph/package.json tests/mockgraph/package-lock.json
	cd tests/mockgraph && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

demo: all sample
	@sqlite3 -batch -init /dev/null :memory: < sql/demo.sql

test: deps-test provisioning.so build/asan/provisioning.so sample build/gen_events mock-deps
	@bash tests/run.sh plain asan

test-plain: deps-test provisioning.so sample build/gen_events mock-deps
	@bash tests/run.sh plain

test-asan: deps-test build/asan/provisioning.so sample build/gen_events mock-deps
	@bash tests/run.sh asan

N ?= 100000 # events in the benchmark's sample
bench: all build/gen_events mock-deps
	@bash tests/bench/run.sh $(N)

bench-check: all build/gen_events mock-deps
	@bash tests/bench/run.sh $(N) --check

FUZZ_SECONDS ?= 60
fuzz: deps-test
	@bash tests/fuzz/run.sh $(FUZZ_SECONDS)

format:
	clang-format -i ext/*.c ext/*.h tests/unit/*.c

clean:
	rm -rf provisioning.so build
