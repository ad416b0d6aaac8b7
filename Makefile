# smpc: PGXS build of the extension, plus the project's entry points.
#
#   make demo   install packages, build, run the three-party ICO example
#   make test   install packages, check formatting, build (test build, see
#               SMPC_TEST_BUILD), run unit, fuzz (15 s per target), the
#               package test (test-deb), pg_regress and TAP tests;
#               SMPC_SKIP_FORMAT_CHECK=1 skips only the formatting check
#   make fuzz   run the libFuzzer targets longer (FUZZ_SECONDS per target,
#               default 300)
#   make soak   the load and soak test at full length: 20 analyst sessions
#               for 5 minutes at 3 servers, a partner killed and one
#               flooding (bench/soak.sh; SMPC_SOAK_SECONDS, SMPC_SOAK_SESSIONS)
#   make deb    build the Debian package build-deb/postgresql-15-smpc_<version>_amd64.deb
#               (release build; debian/, pg_buildext; scripts/build-deb.sh)
#   make test-deb  install that package into the system PostgreSQL 15, run
#               the ICO example from it, purge it again (scripts/test-deb.sh)
#   make format        format src/, test/unit, test/fuzz with clang-format
#   make format-check  fail if clang-format would change any of them
#                      (scripts/check-format.sh)
#
# `make` / `make install` are the usual PGXS targets: they use pg_config on
# PATH, else Debian's PostgreSQL 15 (/usr/lib/postgresql/15/bin/pg_config),
# or PG_CONFIG=... .

EXTENSION = smpc
MODULE_big = smpc

# SQL scripts (sql/README.md), as pgvector keeps them:
# - sql/smpc.sql is the complete install script of the current version
#   (default_version in smpc.control): the one file to read, and to edit,
#   for the current definition of any object. The build copies it to
#   sql/smpc--$(EXTVERSION).sql, the file CREATE EXTENSION runs.
# - sql/smpc--<old>--<new>.sql are the upgrade scripts. Those of released
#   versions are frozen (never edited again); a change to sql/smpc.sql after
#   a release also goes into a new sql/smpc--<released>--<next>.sql.
# - sql/smpc--0.1.0.sql, the first release, is the base of that chain
#   (CREATE EXTENSION smpc VERSION '0.1.0'); frozen as well.
# test/t/026_upgrade_compare.pl requires a fresh install and 0.1.0 upgraded
# step by step to leave identical catalogs.
EXTVERSION := $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" smpc.control)
EXTENSION_SCRIPT = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA = $(EXTENSION_SCRIPT) sql/smpc--0.1.0.sql $(sort $(wildcard sql/smpc--*--*.sql))
# The newest upgrade script, the one that reaches the current version.
UPGRADE_BASE = $(lastword $(sort $(wildcard sql/smpc--*--$(EXTVERSION).sql)))
UPGRADE_FROM = $(patsubst sql/smpc--%--$(EXTVERSION).sql,%,$(UPGRADE_BASE))
UPGRADE_FIXTURES = $(foreach f,default comment grant,test/upgrade/smpc--$(UPGRADE_FROM)--fixture_$(f).sql)
EXTRA_CLEAN = $(EXTENSION_SCRIPT) $(UPGRADE_FIXTURES)
PGFILEDESC = "smpc - secure multi-party aggregation"

# Layers, bottom up: crypto and protocol are plain C++ with no
# PostgreSQL headers; bridge is their exception-free face; net and pg are
# PostgreSQL glue, itself in layers (src/pg/README.md), bottom up:
#   pg/common  net  pg/audit  pg/messaging  pg/policy  pg/jobs
#   pg/aggregates  pg/datasets  pg/module.cpp
# A file may include the header of its own layer and of layers below it;
# scripts/check-layers.sh checks that before any file of the glue compiles.
CORE_SRCS = $(sort $(wildcard src/crypto/*.cpp src/protocol/*.cpp src/bridge/*.cpp))
GLUE_SRCS = $(sort $(wildcard src/net/*.cpp src/pg/*.cpp src/pg/*/*.cpp))
OBJS = $(CORE_SRCS:.cpp=.o) $(GLUE_SRCS:.cpp=.o)
# PGXS tracks no header dependencies: rebuild every object when a header
# changes (a struct in shared memory must have one layout in every object).
$(OBJS): $(wildcard src/*/*.h src/*/*.hpp src/pg/*/*.h)

REGRESS = share federation fdw aggregate_local sets_local roles dba_path policy sources audit reports datasets upgrade analytics drop_guard
REGRESS_OPTS = --inputdir=test --temp-instance=tmp_check_regress --temp-config=test/regress.conf \
	--load-extension=smpc

# pg_config on PATH as other extensions do, else where Debian puts PostgreSQL
# 15's. The scripts get its full path (SCRIPT_PG_CONFIG): they test it with -x.
PG_CONFIG ?= $(if $(shell command -v pg_config 2>/dev/null),pg_config,/usr/lib/postgresql/15/bin/pg_config)
SCRIPT_PG_CONFIG = PG_CONFIG="$$(command -v '$(PG_CONFIG)' || echo '$(PG_CONFIG)')"
PG_CPPFLAGS = -Isrc -I$(shell $(PG_CONFIG) --includedir) -DSMPC_SCHEMA_VERSION='"$(EXTVERSION)"'

# `make SMPC_TEST_BUILD=1` builds the test build: it adds the superuser-only
# fault switch smpc.test_fault that the fault-injection tests use. `make test`
# builds and installs it; `make`, `make install` and `make demo` build without
# it. The objects of the other mode are removed when the mode changes, so a
# release build never links a test object.
SMPC_BUILD_MODE := $(if $(filter 1,$(SMPC_TEST_BUILD)),test,release)
ifeq ($(SMPC_BUILD_MODE),test)
PG_CPPFLAGS += -DSMPC_TEST_BUILD
# The test build also installs the upgrade fixtures (below).
DATA_built = $(UPGRADE_FIXTURES)
endif

ifneq ($(SMPC_BUILD_MODE),$(shell cat .build-mode 2>/dev/null))
$(shell rm -f $(OBJS) smpc.so; echo $(SMPC_BUILD_MODE) > .build-mode)
endif
PG_CXXFLAGS = -std=c++17 -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	-Wno-register -Werror
SHLIB_LINK = -lstdc++ -lcrypto -lsodium
SHLIB_LINK_INTERNAL = $(libpq)

# PGXS would also emit LLVM bitcode for JIT inlining; we do not need it and it
# would require a matching clang. Must be set before pgxs.mk is read.
override with_llvm = no

PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
# Upgrade fixtures left in the extension directory by an earlier test build
# (of an earlier version) would give ALTER EXTENSION a shorter path to a
# fixture version than the chain test/t/026_upgrade_compare.pl means to
# test: every install removes them first; the test build installs today's.
install: remove-stale-fixtures
.PHONY: remove-stale-fixtures
remove-stale-fixtures:
	rm -f '$(DESTDIR)$(datadir)/extension/'smpc--*--fixture_*.sql
else
# On a fresh machine the server headers are not there yet: `make demo` and
# `make test` install them first and then call make again.
all install installcheck:
	@echo "PostgreSQL 15 server headers not found: run 'make deps' first" >&2; exit 1
endif


# The glue's includes point down (scripts/check-layers.sh): checked before
# any file of the glue compiles, and again whenever one of them changes.
LAYER_FILES = $(wildcard src/net/*.h src/net/*.cpp src/pg/*.cpp src/pg/*/*.h src/pg/*/*.cpp)
.layers-ok: scripts/check-layers.sh $(LAYER_FILES)
	bash scripts/check-layers.sh
	@touch $@
$(GLUE_SRCS:.cpp=.o): | .layers-ok
EXTRA_CLEAN = .layers-ok

# Core files must stay free of PostgreSQL headers: compile
# them without the server include path so an include fails the build.
$(CORE_SRCS:.cpp=.o): override CPPFLAGS := -Isrc
$(CORE_SRCS:.cpp=.o): %.o: %.cpp
	$(CXX) $(CXXFLAGS) $(PG_CXXFLAGS) -fPIC -Isrc -c -o $@ $<

# The install script CREATE EXTENSION runs: sql/smpc.sql under its versioned name.
all: $(EXTENSION_SCRIPT)
$(EXTENSION_SCRIPT): sql/$(EXTENSION).sql smpc.control
	cp $< $@

# Upgrade fixtures (test build only): the newest upgrade script plus one
# deliberate difference each, installed as versions fixture_default,
# fixture_comment and fixture_grant. test/t/026_upgrade_compare.pl requires
# the catalog comparison to flag each and name the object, so it is known
# to fail when an upgrade script and sql/smpc.sql disagree.
FIXTURE_SQL_default = ALTER TABLE smpc.federations ALTER COLUMN min_rows SET DEFAULT 1;
FIXTURE_SQL_comment = COMMENT ON FUNCTION smpc.drop_bounds(text, text) IS 'removes the bounds of a column';
FIXTURE_SQL_grant = REVOKE SELECT ON smpc.bounds FROM smpc_analyst;
test/upgrade/smpc--$(UPGRADE_FROM)--fixture_%.sql: $(UPGRADE_BASE)
	{ cat $<; echo "-- test fixture: one deliberate difference"; echo "$(FIXTURE_SQL_$*)"; } >$@

.PHONY: deps demo bench soak test unit fuzz regress tap clean-all deb test-deb format format-check

deps:
	bash scripts/install-deps.sh

# Unit tests of the PostgreSQL-free core (GoogleTest via CMake).
unit: deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build -j2
	ctest --test-dir build --output-on-failure

# libFuzzer targets of the core (test/fuzz, clang + ASan/UBSan, build-fuzz/).
FUZZ_SECONDS ?= 300
fuzz: deps
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

demo: deps
	$(MAKE) all
	$(MAKE) install
	$(SCRIPT_PG_CONFIG) bash scripts/demo.sh

# Benchmarks against native PostgreSQL and dblink, interleaved, at 3 to 25
# parties (bench/bench.sh; about 12 minutes on 2 cores). A release build: the test build's hooks stay out.
bench: deps
	$(MAKE) all
	$(MAKE) install
	$(SCRIPT_PG_CONFIG) bash bench/bench.sh

# The load and soak test at full length (bench/soak.sh: test/t/034_soak_short.pl
# with SMPC_SOAK_SECONDS=300, SMPC_SOAK_SESSIONS=20 unless set; `make test`
# runs it short). A release build, as for make bench.
soak: deps
	$(MAKE) all
	$(MAKE) install
	$(SCRIPT_PG_CONFIG) bash bench/soak.sh

# The Debian package, built in a copy of the tree (the checkout stays clean).
deb: deps
	bash scripts/build-deb.sh

test-deb: deps
	bash scripts/test-deb.sh

# Formatting as .clang-format says (clang-format from install-deps.sh: other
# versions format differently). SMPC_SKIP_FORMAT_CHECK=1 makes format-check,
# and so `make test`, skip it.
format: deps
	bash scripts/check-format.sh --fix

format-check: deps
	bash scripts/check-format.sh

# The package test runs before the test build is installed: it installs the
# package into the system PostgreSQL 15 and purges it again, putting back any
# files of an earlier `make install` it replaced.
test: deps
	$(MAKE) format-check
	$(MAKE) unit
	bash scripts/fuzz.sh 15
	bash scripts/test-deb.sh
	$(MAKE) SMPC_TEST_BUILD=1 all
	$(MAKE) SMPC_TEST_BUILD=1 install
	$(SCRIPT_PG_CONFIG) bash scripts/test.sh
