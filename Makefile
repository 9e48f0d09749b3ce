# jackpot — build, test, demo.
#   make            release build (-O3 -march=native; PORTABLE=1 for a generic build)
#   make test       unit tests, then the same tests under AddressSanitizer + UBSan, then the
#                   scheduler and store tests under ThreadSanitizer (make tsan)
#   make demo       installs what is missing, builds, trains LeNet-300-100 on Fashion-MNIST
#   make bench      MLP training speed against the GEMM ceiling and PyTorch (bench/mlp_throughput,
#                   ~7 minutes), then `jackpot fit` against scipy (bench/fit_vs_scipy, under a minute);
#                   installs python3-torch and python3-scipy
#   make bench-lm   language-model training against PyTorch (bench/lm_throughput, ~5 minutes)
#   make bench-fit  the fit benchmark alone
#   make bench-mpi  2 MPI ranks against 1 process: sweep speed-up and equality, plan against measured,
#                   data-parallel LM throughput (bench/mpi_scaling, ~4 minutes)
#   make bench-plan `jackpot plan` against the measured run of each example (bench/plan_accuracy,
#                   ~10 minutes; EXAMPLES=all for every one)
#   make fuzz       libFuzzer (clang-14) on the input readers, FUZZ_SECONDS (60) each; see fuzz/run

BUILD    ?= build
CC       ?= gcc
PORTABLE ?= 0
SAN      ?= 0

ifeq ($(PORTABLE),1)
  ARCH := -O3 -march=x86-64-v2 -mtune=generic
else
  ARCH := -O3 -march=native
endif
ifeq ($(SAN),1)
  ARCH := -O1 -g -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
# TSAN=1 (make test sets it, BUILD=build/tsan): ThreadSanitizer over the scheduler and the store,
# built without OpenMP: GCC's libgomp is not instrumented, so TSan cannot see its barriers and
# reports every write in a parallel loop read after it. The `omp` pragmas left (the fit's bootstrap)
# are then ignored; the threads under test are the scheduler's workers, the trainers' crews
# (base/crew, plain pthreads), the store's writers and the stop flag.
OPENMP := -fopenmp
ifeq ($(TSAN),1)
  ARCH := -O1 -g -fsanitize=thread -fno-omit-frame-pointer
  OPENMP := -Wno-unknown-pragmas
endif
# FUZZ=1 (make fuzz sets it, with CC=clang-14): the library instrumented for libFuzzer.
ifeq ($(FUZZ),1)
  ARCH := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif

# -fno-math-errno: lets sqrtf vectorise in the optimiser (no errno is ever read).
# Recursive (=) so pkg-config runs only after the dependency stamp exists.
# MPI: built in when an MPI library's pkg-config file is there (Debian's OpenMPI, which
# scripts/install-deps installs: mpi-c), defining JACKPOT_MPI; MPI=0 builds without it (one
# process; `jackpot info` says which). Recursive, like PKGS, so it is asked after install-deps.
MPI ?= $(shell pkg-config --exists mpi-c && echo 1 || echo 0)
ifeq ($(FUZZ),1)
  MPI := 0
endif
MPI_ON    = $(filter 1,$(MPI))
PKGS     = openblas zlib sqlite3 libfyaml gsl $(if $(MPI_ON),mpi-c)
CFLAGS   = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $(OPENMP) -fno-math-errno $(ARCH) -Isrc $(if $(MPI_ON),-DJACKPOT_MPI) $(shell pkg-config --cflags $(PKGS))
# GSL's own CBLAS is left out: OpenBLAS provides the CBLAS symbols GSL calls.
LDLIBS   = $(filter-out -lgslcblas,$(shell pkg-config --libs $(PKGS))) -lpthread -lm
TESTLIBS = $(shell pkg-config --libs cmocka)
LDFLAGS  = $(filter -fopenmp,$(OPENMP)) $(filter -fsanitize=%,$(ARCH))

DEPS_STAMP := build/.deps-ok
LIB_SRC  := $(sort $(filter-out src/cli/%,$(wildcard src/*/*.c)))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
# Fuzz targets (fuzz/targets/NAME.c): replayed over their corpora by make test
# (gcc, fuzz/replay.c), fuzzed by make fuzz (clang-14, libFuzzer).
FUZZ_TARGETS := $(sort $(basename $(notdir $(wildcard fuzz/targets/*.c))))
REPLAY_BIN   := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/replay-%)
FUZZER_BIN   := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz-%)
FUZZ_SECONDS ?= 60
LIB      := $(BUILD)/libjackpot.a
BIN      := $(BUILD)/jackpot

.PHONY: all deps test check tsan demo bench bench-lm bench-fit bench-mpi bench-plan fuzz fuzz-build clean
all: $(BIN)

$(DEPS_STAMP): scripts/install-deps
	@mkdir -p $(dir $@)
	scripts/install-deps
	@touch $@
deps: $(DEPS_STAMP)

ifeq ($(TSAN),1)
# The arithmetic of one member (nn, its batches in data, its step in train/step) touches only that
# member's memory: left uninstrumented, at full speed, so the pass spends its time on the threads.
$(BUILD)/src/nn/%.o $(BUILD)/src/data/%.o $(BUILD)/src/train/step.o: ARCH := -O2 -g
endif
$(BUILD)/%.o: %.c Makefile | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/%.c tests/testutil.h tests/lm_fixtures.h $(LIB) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags cmocka) -Itests $< $(LIB) $(LDFLAGS) $(TESTLIBS) $(LDLIBS) -o $@

$(BUILD)/fuzz/replay-%: fuzz/targets/%.c fuzz/replay.c fuzz/fuzz_file.c fuzz/fuzz.h $(LIB) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DFUZZ_TARGET='"$*"' fuzz/targets/$*.c fuzz/replay.c fuzz/fuzz_file.c $(LIB) $(LDFLAGS) $(LDLIBS) -o $@

$(BUILD)/fuzz/fuzz-%: fuzz/targets/%.c fuzz/fuzz_file.c fuzz/fuzz.h $(LIB) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) fuzz/targets/$*.c fuzz/fuzz_file.c $(LIB) -fopenmp -fsanitize=fuzzer,address,undefined $(LDLIBS) -o $@

# check: the suite in this BUILD; test: release, then sanitizers. The binaries are compiled on every
# core (the build was half the time of make test when serial); the tests then run one at a time.
NPROC := $(shell nproc 2>/dev/null || echo 1)
check: $(DEPS_STAMP)
	$(MAKE) --no-print-directory -j$(NPROC) $(TEST_BIN) $(REPLAY_BIN) $(BIN)
	tests/run $(BUILD) $(TEST_BIN) $(REPLAY_BIN)

test: $(DEPS_STAMP)
	$(MAKE) --no-print-directory check
	$(MAKE) --no-print-directory check BUILD=build/san SAN=1
	$(MAKE) --no-print-directory tsan

# tsan: the scheduler, store and MPI tests under ThreadSanitizer (the CLI they run too). Every
# report, a child's included (some tests silence their children's stderr), lands in
# build/tsan/reports; any one fails the pass.
TSAN_TESTS := $(addprefix build/tsan/tests/,test_store test_store_safety test_sweep_resume test_runtime test_crew test_mpi test_progress)
tsan: $(DEPS_STAMP)
	$(MAKE) --no-print-directory -j$(NPROC) BUILD=build/tsan TSAN=1 build/tsan/jackpot $(TSAN_TESTS)
	rm -rf build/tsan/reports && mkdir -p build/tsan/reports
	TSAN_OPTIONS="log_path=$(CURDIR)/build/tsan/reports/race suppressions=$(CURDIR)/tests/tsan.supp" tests/run build/tsan $(TSAN_TESTS)
	@if ls build/tsan/reports/race.* >/dev/null 2>&1; then \
	    cat build/tsan/reports/race.*; echo "ThreadSanitizer: the reports above" >&2; exit 1; fi

# demo: the quickstart width sweep on Fashion-MNIST, the fitted law, the spread
# across seeds, and the report (a rerun resumes: finished runs are kept).
DEMO := $(BUILD)/demo
demo: $(BIN)
	@mkdir -p $(DEMO)
	$(BIN) run examples/quickstart.yaml --db $(DEMO)/runs.db
	$(BIN) fit --db $(DEMO)/runs.db --law power
	$(BIN) dist --db $(DEMO)/runs.db --boot 300
	$(BIN) report --db $(DEMO)/runs.db -o $(DEMO)/report

# bench/NAME.c: one C benchmark each (lm_speed: gpt training steps, run by bench/lm_throughput;
# mm_small: nn/mm's products against 1-thread sgemm per layer shape; gather: float rows against byte rows).
$(BUILD)/bench/%: bench/%.c $(LIB) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< $(LIB) $(LDFLAGS) $(LDLIBS) -o $@

# bench: MLP training and fits (~8 minutes); bench-lm: language models (~5 minutes).
bench: $(BIN)
	scripts/install-deps --bench
	bench/mlp_throughput $(BIN)
	bench/fit_vs_scipy $(BIN)

bench-lm: $(BIN) $(BUILD)/bench/lm_speed
	scripts/install-deps --bench
	bench/lm_throughput $(BIN) $(BUILD)/bench/lm_speed

# `jackpot fit --law chinchilla` against scipy on bench/fit_data (ABAB, best of 3; under a minute).
bench-fit: $(BIN)
	scripts/install-deps --bench
	bench/fit_vs_scipy $(BIN)

# bench-mpi: a sweep on 2 MPI ranks against 1 process (speed-up, equal results to the bit),
# `jackpot plan --ranks` against the measured makespans, and --data-parallel LM throughput.
bench-mpi: $(BIN)
	bench/mpi_scaling $(BIN)

# bench-plan: `jackpot plan`'s predicted time against the measured run of each example.
bench-plan: $(BIN)
	bench/plan_accuracy $(BIN)

# fuzz: each target for FUZZ_SECONDS; findings land in build/fuzzer/fuzz/found/TARGET/
# (copy each, once fixed, to fuzz/regressions/TARGET/ so make test replays it).
fuzz:
	scripts/install-deps --fuzz
	$(MAKE) --no-print-directory fuzz-build BUILD=build/fuzzer CC=clang-14 FUZZ=1
	fuzz/run build/fuzzer/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)
fuzz-build: $(FUZZER_BIN)

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
