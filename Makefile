# smpc: PGXS build of the extension, plus the project's entry points.
#
#   make demo   install packages, build, run the three-party ICO example
#   make test   install packages, build, run unit, pg_regress and TAP tests
#
# `make` / `make install` are the usual PGXS targets (need pg_config on PATH
# or PG_CONFIG=...).

EXTENSION = smpc
MODULE_big = smpc
DATA = sql/smpc--0.1.0.sql
PGFILEDESC = "smpc - secure multi-party aggregation"

# Layers, bottom up (DESIGN.md): crypto and protocol are plain C++ with no
# PostgreSQL headers; bridge is their exception-free face; net and pg are
# PostgreSQL glue.
CORE_SRCS = $(sort $(wildcard src/crypto/*.cpp src/protocol/*.cpp src/bridge/*.cpp))
GLUE_SRCS = $(sort $(wildcard src/net/*.cpp src/pg/*.cpp))
OBJS = $(CORE_SRCS:.cpp=.o) $(GLUE_SRCS:.cpp=.o)

REGRESS = share federation fdw aggregate_local
REGRESS_OPTS = --temp-instance=tmp_check_regress --temp-config=test/regress.conf \
	--load-extension=smpc

PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config
PG_CPPFLAGS = -Isrc -I$(shell $(PG_CONFIG) --includedir)
PG_CXXFLAGS = -std=c++17 -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	-Wno-register -Werror
SHLIB_LINK = -lstdc++ -lcrypto
SHLIB_LINK_INTERNAL = $(libpq)

# PGXS would also emit LLVM bitcode for JIT inlining; we do not need it and it
# would require a matching clang. Must be set before pgxs.mk is read.
override with_llvm = no

PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
else
# On a fresh machine the server headers are not there yet: `make demo` and
# `make test` install them first and then call make again.
all install installcheck:
	@echo "PostgreSQL 15 server headers not found: run 'make deps' first" >&2; exit 1
endif


# Core files must stay free of PostgreSQL headers (STYLE.md rule 4): compile
# them without the server include path so an include fails the build.
$(CORE_SRCS:.cpp=.o): override CPPFLAGS := -Isrc
$(CORE_SRCS:.cpp=.o): %.o: %.cpp
	$(CXX) $(CXXFLAGS) $(PG_CXXFLAGS) -fPIC -Isrc -c -o $@ $<

.PHONY: deps demo test unit regress tap clean-all

deps:
	bash scripts/install-deps.sh

# Unit tests of the PostgreSQL-free core (GoogleTest via CMake).
unit: deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build -j2
	ctest --test-dir build --output-on-failure

demo: deps
	$(MAKE) all
	$(MAKE) install
	bash scripts/demo.sh

test: deps
	$(MAKE) unit
	$(MAKE) all
	$(MAKE) install
	bash scripts/test.sh
