# vapi_pool: PostgreSQL extension (PGXS) and the vapi-shim HTTP server.
#
#   make               build the extension and vapi-shim
#   make install       install the extension into the local PostgreSQL
#   make installcheck  pg_regress + isolation specs + TAP tests (temporary instances)
#   make test          README test command: dependencies, build, install, every suite
#   make run           README run command: private cluster + extension + shim on :8080
#   make bench         benchmarks (see docs/benchmarks.md)

EXTENSION = vapi_pool
# The one definition of the version is default_version in vapi_pool.control.
EXTVERSION := $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big = vapi_pool
# The extension's C sources, by concern (docs/architecture.md has the map and
# the order in which the folders may call each other); every folder's .c
# files are found by pattern.  Headers live in extension/include/<concern>/.
EXTENSION_DIRS = core e164 redact outbox pool compliance clinic calls slots replies dispatch webhook
OBJS = $(patsubst %.c,%.o,$(sort $(foreach d,$(EXTENSION_DIRS),$(wildcard extension/$(d)/*.c))))

# The install script is assembled from extension/sql/*.sql; upgrade scripts
# (vapi_pool--A--B.sql) and the frozen install scripts of earlier releases
# live in extension/upgrade and extension/released.
INSTALL_SQL = $(EXTENSION)--$(EXTVERSION).sql
# The upgrade from the previous release is assembled too, from the parts that
# release did not have.  On the next release, freeze both assembled scripts
# (into extension/released and extension/upgrade) and move these two lines on.
PREVIOUS_VERSION = 0.10.0
PREVIOUS_PARTS = $(addprefix extension/sql/,000_header.sql 010_e164.sql 020_tenancy.sql \
	030_data_model.sql 040_redact_pii.sql 050_transcript_redaction.sql 060_row_level_security.sql \
	070_seed_views.sql 080_supabase_query.sql 090_pool_engine.sql 095_hot_path.sql \
	097_release_assignment.sql 100_slot_claims.sql 110_instantly_replies.sql 120_clinic_followups.sql \
	130_webhook_inbox.sql 140_dispatcher.sql 150_trust.sql 160_backups.sql 170_layout.sql \
	180_journeys.sql 181_booking_offers.sql 182_number_leaks.sql 183_voicemail.sql 184_clinic_calls.sql \
	185_webhook_edges.sql 190_compliance.sql 191_number_timezones.sql 192_personal_data.sql 193_retention.sql \
	194_assistants.sql 195_backfill.sql 200_supabase.sql 210_reply_times.sql 220_redaction_context.sql \
	230_clinic_vocabulary.sql 240_dropoff_context.sql 250_cal_bookings.sql \
	260_operations.sql 270_group_commit.sql)
UPGRADE_SQL = $(EXTENSION)--$(PREVIOUS_VERSION)--$(EXTVERSION).sql
DATA_built = $(INSTALL_SQL) $(UPGRADE_SQL)
DATA = $(wildcard extension/upgrade/*.sql) $(wildcard extension/released/*.sql)

REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --temp-config=$(CURDIR)/regress.conf --temp-instance=$(CURDIR)/tmp_check_regress
ISOLATION = $(patsubst specs/%.spec,%,$(sort $(wildcard specs/*.spec)))
ISOLATION_OPTS = --temp-config=$(CURDIR)/regress.conf --temp-instance=$(CURDIR)/tmp_check_isolation
TAP_TESTS = 1
EXTRA_CLEAN = META.json.tmp tmp_check_regress tmp_check_isolation output_iso \
	$(SHIM) $(ORACLE) bench/e164_bench bench/loadgen

PG_CPPFLAGS = -I$(srcdir)/extension/include -DEXTVERSION=\"$(EXTVERSION)\"

# PostgreSQL 15 by default (Debian may put another major version's pg_config on PATH).
PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
# Makefile.global resets PROVE_FLAGS, so this comes after the include.
PROVE_FLAGS = -I t/lib
else
# Without the server headers only `make test` and `make run` work: they install them.
all install installcheck:
	@echo "PostgreSQL 15 server development files not found: 'make test' or 'make run' installs them."; exit 1
endif

# The library reports the version it was built for.
extension/core/vapi_pool.o: $(EXTENSION).control

# ---------------------------------------------------------------- install script

SQL_PARTS = $(sort $(wildcard extension/sql/*.sql))

$(INSTALL_SQL): $(SQL_PARTS)
	cat $^ > $@

$(UPGRADE_SQL): $(filter-out $(PREVIOUS_PARTS),$(SQL_PARTS))
	{ printf '%s\n' '-- vapi_pool $(PREVIOUS_VERSION) -> $(EXTVERSION), assembled by the Makefile: edit the parts.' \
	  '\echo Use "ALTER EXTENSION vapi_pool UPDATE" to load this file. \quit'; cat /dev/null $^; } > $@

# META.json is generated from META.json.in so that the version is defined once;
# `make check-generated` fails if the committed copy is stale.
META.json: META.json.in $(EXTENSION).control
	sed 's/@EXTVERSION@/$(EXTVERSION)/g' $< > $@

# ---------------------------------------------------------------- vapi-shim

SHIM = shim/vapi-shim
SHIM_SRCS = $(sort $(wildcard shim/*.c))
SHIM_PKGS = libh2o-evloop jansson libcurl libpq openssl
SHIM_CFLAGS = -std=gnu99 -O2 -g -Wall -Wextra -Wno-unused-parameter $(SHIM_WERROR) \
	-DH2O_USE_LIBUV=0 -DEXTVERSION='"$(EXTVERSION)"' -DSHIM_ASSISTANTS_DIR='"$(SHIM_ASSISTANTS_DIR)"' \
	$(shell pkg-config --cflags $(SHIM_PKGS))
SHIM_LIBS = $(shell pkg-config --libs $(SHIM_PKGS)) -lpthread -lz
SHIM_BINDIR ?= /usr/local/bin
# where `make install` puts assistants/*.json; vapi-shim assistants push falls back to it
SHIM_ASSISTANTS_DIR ?= /usr/local/share/vapi-shim/assistants

# WITH_SHIM=no builds and installs the extension alone: the PostgreSQL 17
# run of `make test` (scripts/debian13_root.sh) builds it in a Debian 13 root,
# which has no libh2o-evloop, and hands the TAP tests the Debian 12 builds of
# vapi-shim and the oracle through VAPI_SHIM and E164_ORACLE.
WITH_SHIM ?= yes
ifeq ($(WITH_SHIM),yes)
all: $(SHIM)
install: install-shim
endif

$(SHIM): $(SHIM_SRCS) $(wildcard shim/*.h) $(EXTENSION).control
	$(CC) $(SHIM_CFLAGS) -o $@ $(SHIM_SRCS) $(SHIM_LIBS)

install-shim: $(SHIM)
	$(INSTALL_PROGRAM) $(SHIM) '$(DESTDIR)$(SHIM_BINDIR)/vapi-shim'
	$(MKDIR_P) '$(DESTDIR)$(SHIM_ASSISTANTS_DIR)'
	$(INSTALL_DATA) $(wildcard assistants/*.json) '$(DESTDIR)$(SHIM_ASSISTANTS_DIR)/'

# ---------------------------------------------------------------- test programs

ORACLE = t/e164/e164-oracle

$(ORACLE): t/e164/oracle.cc
	$(CXX) -O2 -std=c++17 -o $@ $< -lphonenumber

ifeq ($(WITH_SHIM),yes)
test-programs: $(SHIM) $(ORACLE)
else
test-programs:
endif

# Regenerate the committed generated files and fail if anything changed.
check-generated:
	/usr/bin/python3 extension/e164/gen_e164_metadata.py > extension/e164/e164_metadata.c.new
	cmp extension/e164/e164_metadata.c extension/e164/e164_metadata.c.new || \
		{ echo "extension/e164/e164_metadata.c is stale: run make regenerate"; exit 1; }
	rm -f extension/e164/e164_metadata.c.new
	/usr/bin/python3 extension/e164/gen_e164_timezones.py > extension/e164/e164_timezones.c.new
	cmp extension/e164/e164_timezones.c extension/e164/e164_timezones.c.new || \
		{ echo "extension/e164/e164_timezones.c is stale: run make regenerate"; exit 1; }
	rm -f extension/e164/e164_timezones.c.new
	sed 's/@EXTVERSION@/$(EXTVERSION)/g' META.json.in | cmp META.json - || \
		{ echo "META.json is stale: run make META.json"; exit 1; }

regenerate:
	/usr/bin/python3 extension/e164/gen_e164_metadata.py > extension/e164/e164_metadata.c
	/usr/bin/python3 extension/e164/gen_e164_timezones.py > extension/e164/e164_timezones.c
	$(MAKE) -B META.json

# Checks of the source tree (scripts/check_source.py): the layering of
# extension/'s folders (by includes and by the built objects' symbols), no
# call cycles, one fallback sentence per binary.  Needs the build (nm).
check-source: all
	/usr/bin/python3 scripts/check_source.py $(EXTENSION_DIRS)

# The e164 pattern matcher (extension/e164/e164_regex.c) against Python's re,
# on every pattern of the metadata (975,000 fixed-seed strings) and on
# constructs the metadata does not use yet (--extra); see
# extension/e164/tests/e164_regex_check.py.
E164_RX_OUT = tmp_check_e164_regex
E164_RX_CFLAGS = -std=c99 -O2 -Wall -Wextra -Werror -Wno-unused-parameter -Iextension/include

e164-regex-check:
	@mkdir -p $(E164_RX_OUT)/extra
	@/usr/bin/python3 extension/e164/tests/e164_regex_check.py $(E164_RX_OUT)/cases.txt
	@$(CC) $(E164_RX_CFLAGS) -o $(E164_RX_OUT)/check extension/e164/tests/e164_regex_check.c \
		extension/e164/e164_regex.c extension/e164/e164_metadata.c
	@/usr/bin/python3 extension/e164/tests/e164_regex_check.py --extra $(E164_RX_OUT)/extra
	@$(CC) $(E164_RX_CFLAGS) -o $(E164_RX_OUT)/check_extra extension/e164/tests/e164_regex_check.c \
		extension/e164/e164_regex.c $(E164_RX_OUT)/extra/programs.c
	@rc=0; \
	if ./$(E164_RX_OUT)/check $(E164_RX_OUT)/cases.txt; then echo "ok 1 - e164_regex matches Python's re on the metadata's patterns"; \
	else rc=1; echo "not ok 1 - e164_regex differs from Python's re on the metadata's patterns (make e164-regex-check)"; fi; \
	if ./$(E164_RX_OUT)/check_extra $(E164_RX_OUT)/extra/data.txt; then echo "ok 2 - e164_regex matches Python's re on the extra constructs"; \
	else rc=1; echo "not ok 2 - e164_regex differs from Python's re on the extra constructs (make e164-regex-check)"; fi; \
	exit $$rc

.PHONY: check-source e164-regex-check
EXTRA_CLEAN += $(E164_RX_OUT)

# The TAP tests find the built shim and test programs through these.
export VAPI_SHIM ?= $(CURDIR)/$(SHIM)
export E164_ORACLE ?= $(CURDIR)/$(ORACLE)

# The three suites of installcheck, one at a time (scripts/test.sh counts each).
installcheck-regress:
	$(pg_regress_installcheck) $(REGRESS_OPTS) $(REGRESS)

installcheck-isolation:
	$(pg_isolation_regress_installcheck) $(ISOLATION_OPTS) $(ISOLATION)

installcheck-tap: test-programs
	$(prove_installcheck)

# The regression suite again at fixed instants, under libfaketime (Debian's
# faketime), so that a test that depends on the hour or the weekday it runs
# fails every time, not on the evening or the weekday CI happens to run:
# a Wednesday morning in UTC, a Saturday evening in Chicago (outside a
# 09:00-18:00 day), the morning US daylight saving time ends.  Each run's
# clocks start at its instant and then move as the real one does; the
# instants stand off the hour so that a few seconds of run time cross no
# boundary.
CLOCK_INSTANTS = 2027-03-10_08:17:00 2027-03-14_00:47:00 2027-11-07_06:43:00
LIBFAKETIME ?= $(firstword $(wildcard /usr/lib/*/faketime/libfaketimeMT.so.1))
installcheck-clock:
	@test -n "$(LIBFAKETIME)" || { echo "libfaketime is missing (Debian: apt-get install faketime)"; exit 1; }
	@set -e; for t in $(CLOCK_INSTANTS); do \
		at=$$(echo "$$t" | tr _ ' '); echo "== the regression suite at $$at (UTC)"; \
		LD_PRELOAD=$(LIBFAKETIME) FAKETIME="@$$at" FAKETIME_DONT_FAKE_MONOTONIC=1 \
			$(pg_regress_installcheck) $(REGRESS_OPTS) $(REGRESS) || { \
			echo "failed at $$at: LD_PRELOAD=$(LIBFAKETIME) FAKETIME='@$$at' make installcheck-regress"; exit 1; }; \
	done

# TAP tests drive the shim and the libphonenumber oracle: build them first.
installcheck: test-programs

# ---------------------------------------------------------------- the README's commands

# Both scripts install missing Debian packages first.
test:
	bash scripts/test.sh

run:
	bash scripts/run.sh

bench:
	bash bench/run.sh

.PHONY: installcheck-regress installcheck-isolation installcheck-tap installcheck-clock install-shim test-programs check-generated regenerate test run bench

# ---------------------------------------------------------------- shim unit tests and fuzzing

# Unit tests of the shim's request checks (webhook_auth.c, webhook_body.c,
# config.c) and of its allocator for jansson (json_alloc.c): C programs under
# shim/tests printing TAP, built with ASan and UBSan into tmp_check_shim/.
# `make shim-unit-tests` builds and runs them.
SHIM_TEST_OUT = tmp_check_shim
SHIM_UNIT_TESTS = $(addprefix $(SHIM_TEST_OUT)/,test_webhook_auth test_webhook_body test_config test_http_client test_json_alloc)
SHIM_UNIT_PKGS = jansson libcrypto libpq libcurl
SHIM_UNIT_CFLAGS = -std=gnu99 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
	-DEXTVERSION='"$(EXTVERSION)"' -Ishim $(shell pkg-config --cflags $(SHIM_UNIT_PKGS))
SHIM_UNIT_LIBS = $(shell pkg-config --libs $(SHIM_UNIT_PKGS))

$(SHIM_TEST_OUT)/test_webhook_auth: shim/tests/test_webhook_auth.c shim/webhook_auth.c
$(SHIM_TEST_OUT)/test_webhook_body: shim/tests/test_webhook_body.c shim/webhook_body.c shim/webhook_auth.c
$(SHIM_TEST_OUT)/test_config: shim/tests/test_config.c shim/config.c shim/log.c shim/text.c
$(SHIM_TEST_OUT)/test_http_client: shim/tests/test_http_client.c shim/http_client.c
$(SHIM_TEST_OUT)/test_json_alloc: shim/tests/test_json_alloc.c shim/json_alloc.c shim/log.c

$(SHIM_UNIT_TESTS): shim/tests/tap.h $(wildcard shim/*.h) $(EXTENSION).control
	@mkdir -p $(SHIM_TEST_OUT)
	$(CC) $(SHIM_UNIT_CFLAGS) -o $@ $(filter %.c,$^) $(SHIM_UNIT_LIBS)

shim-unit-tests: $(SHIM_UNIT_TESTS)
	@rc=0; for t in $(SHIM_UNIT_TESTS); do echo "# $$t"; ./$$t || rc=1; done; exit $$rc

installcheck: shim-unit-tests

# libFuzzer target shim/fuzz/fuzz_webhook.c (clang-14 and libclang-rt-14-dev);
# docs/fuzzing.md tells more.
#   make fuzz-smoke         FUZZ_SMOKE_RUNS (300000) inputs, -seed=FUZZ_SMOKE_SEED (1),
#                           from the seeds: for CI (make test); 43 s on one core of
#                           a 2-core machine
#   make fuzz               FUZZ_SECONDS (600) with a random seed, the corpus kept
#                           in tmp_check_fuzz/corpus: to explore (bench/run.sh)
#   make jansson-oom-repro  the jansson 2.14 bug the fuzz target found, shown by
#                           a standalone program (shim/fuzz/jansson_oom_repro.c)
# Seeds: shim/fuzz/corpus (regress-* are inputs that once failed) and
# t/fixtures/**.json (t/fixtures/reference holds the vendors' example payloads).
#
# The smoke run is deterministic, so that a red run can be repeated exactly:
# it stops after a number of runs, not a time; the seeds go in by name in a
# fixed order (-seed_inputs: libFuzzer sorts them by size alone, so a
# directory's listing order would decide between seeds of equal size); the
# target reads no clock and no random source; and what would let ASLR in is
# left out of this build: UBSan's pointer-overflow check (its comparisons of
# raw addresses feed libFuzzer's mutations) and the stack-depth coverage that
# -fsanitize=fuzzer adds on Linux (the depth in bytes moves with the random
# stack start, and with it a coverage feature).
# The same binary, seeds, FUZZ_SMOKE_SEED and FUZZ_SMOKE_RUNS give the same
# inputs, the same stat::number_of_executed_units and new_units_added, and
# the same corpus (its digest is printed).  On a finding, it prints the
# command that repeats the run and the one that replays the input it left in
# tmp_check_fuzz/.
FUZZ_CC ?= clang-14
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_RUNS ?= 300000
FUZZ_SMOKE_SEED ?= 1
FUZZ_OUT = tmp_check_fuzz
FUZZ_BIN = $(FUZZ_OUT)/fuzz_webhook
FUZZ_SEEDS = $(sort $(wildcard shim/fuzz/corpus/*) $(wildcard t/fixtures/*.json t/fixtures/reference/*.json))
FUZZ_FLAGS = -dict=shim/fuzz/fuzz_webhook.dict -timeout=10 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1
FUZZ_SMOKE_FLAGS = -seed=$(FUZZ_SMOKE_SEED) -runs=$(FUZZ_SMOKE_RUNS) -reload=0 \
	-seed_inputs=@$(FUZZ_OUT)/smoke.seeds -artifact_prefix=$(FUZZ_OUT)/
FUZZ_CFLAGS = -std=gnu99 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-fsanitize=fuzzer,address,undefined -fno-sanitize=pointer-overflow \
	-fno-sanitize-coverage=stack-depth -fno-sanitize-recover=all -fno-omit-frame-pointer \
	-DEXTVERSION='"$(EXTVERSION)"' -Ishim $(shell pkg-config --cflags jansson libcrypto)

$(FUZZ_BIN): shim/fuzz/fuzz_webhook.c shim/webhook_auth.c shim/webhook_body.c $(wildcard shim/*.h)
	@mkdir -p $(FUZZ_OUT)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(shell pkg-config --libs jansson libcrypto)

# Copy the seeds into corpus directory $(1), each under a name of its own.
fuzz_seed = mkdir -p $(1) && for f in $(FUZZ_SEEDS); do cp "$$f" "$(1)/seed-$$(echo "$$f" | tr / _)"; done

fuzz-smoke: $(FUZZ_BIN)
	@rm -rf $(FUZZ_OUT)/smoke && mkdir -p $(FUZZ_OUT)/smoke
	@printf '%s' "$$(echo $(FUZZ_SEEDS) | tr ' ' ,)" >$(FUZZ_OUT)/smoke.seeds
	@echo "# fuzz_webhook: $(FUZZ_SMOKE_RUNS) runs, -seed=$(FUZZ_SMOKE_SEED) (log: $(FUZZ_OUT)/smoke.log)"
	@if ./$(FUZZ_BIN) $(FUZZ_FLAGS) $(FUZZ_SMOKE_FLAGS) $(FUZZ_OUT)/smoke >$(FUZZ_OUT)/smoke.log 2>&1; then \
		grep -E '^(Done|stat::(number_of_executed_units|new_units_added|peak_rss_mb))' $(FUZZ_OUT)/smoke.log; \
		echo "# corpus: $$(ls $(FUZZ_OUT)/smoke | wc -l) new units, digest $$(ls $(FUZZ_OUT)/smoke | sha1sum | cut -c1-16)"; \
		echo "ok 1 - fuzz_webhook: $(FUZZ_SMOKE_RUNS) runs without a finding"; \
	else \
		tail -n 80 $(FUZZ_OUT)/smoke.log; \
		input=$$(sed -n 's/.*Test unit written to //p' $(FUZZ_OUT)/smoke.log | tail -n 1); \
		echo "# repeat the run: make fuzz-smoke FUZZ_SMOKE_SEED=$(FUZZ_SMOKE_SEED) FUZZ_SMOKE_RUNS=$(FUZZ_SMOKE_RUNS)"; \
		if [ -n "$$input" ]; then echo "# replay the input: $(FUZZ_BIN) $$input"; fi; \
		echo "not ok 1 - fuzz_webhook found a problem: $${input:-see $(FUZZ_OUT)/smoke.log}"; exit 1; \
	fi

fuzz: $(FUZZ_BIN)
	@$(call fuzz_seed,$(FUZZ_OUT)/corpus)
	./$(FUZZ_BIN) $(FUZZ_FLAGS) -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(FUZZ_OUT)/ $(FUZZ_OUT)/corpus

$(FUZZ_OUT)/jansson_oom_repro: shim/fuzz/jansson_oom_repro.c
	@mkdir -p $(FUZZ_OUT)
	$(CC) -std=gnu99 -O2 -g -Wall -Wextra -Werror $(shell pkg-config --cflags jansson) -o $@ $< \
		$(shell pkg-config --libs jansson)

jansson-oom-repro: $(FUZZ_OUT)/jansson_oom_repro
	./$<

EXTRA_CLEAN += $(SHIM_TEST_OUT) $(FUZZ_OUT)

.PHONY: shim-unit-tests fuzz-smoke fuzz jansson-oom-repro
