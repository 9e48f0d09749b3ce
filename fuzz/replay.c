// Replays fuzz inputs through a target's LLVMFuzzerTestOneInput, compiled with
// gcc by the normal Makefile (so make test runs it in release and under
// ASan+UBSan): every seed in fuzz/corpus/TARGET and every past finding in
// fuzz/regressions/TARGET, or the files and folders given as arguments.
// Each input runs in a child process with a time limit, so a crash or a hang
// names its file and the rest still run. Prints cmocka's summary lines, which
// tests/run counts (one test per target).
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

#ifndef FUZZ_TARGET
#error "build with -DFUZZ_TARGET='\"name\"'"
#endif

static int replayed, failed;

static void run_one(const char *path, unsigned timeout_s) {
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "replay %s: %s: %s\n", FUZZ_TARGET, path, strerror(errno)); failed++; return; }
    uint8_t *data = NULL;
    size_t size = 0, cap = 0, got;
    do {
        if (size == cap) {
            cap = cap ? 2 * cap : 4096;
            uint8_t *grown = realloc(data, cap);
            if (!grown) { fprintf(stderr, "replay: out of memory reading %s\n", path); exit(1); }
            data = grown;
        }
        got = fread(data + size, 1, cap - size, f);
        size += got;
    } while (got > 0);
    fclose(f);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); exit(1); }
    if (pid == 0) {
        alarm(timeout_s);   // SIGALRM ends a hang; the parent names it
        LLVMFuzzerTestOneInput(data, size);
        exit(0);
    }
    free(data);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    replayed++;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    failed++;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        fprintf(stderr, "replay %s: %s: HANG (over %u s)\n", FUZZ_TARGET, path, timeout_s);
    else if (WIFSIGNALED(status))
        fprintf(stderr, "replay %s: %s: CRASH (signal %d, %s)\n", FUZZ_TARGET, path, WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        fprintf(stderr, "replay %s: %s: FAILED (exit status %d)\n", FUZZ_TARGET, path, WEXITSTATUS(status));
}

static int by_name(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }

static void run_path(const char *path, unsigned timeout_s, int must_exist) {
    struct stat st;
    if (stat(path, &st) != 0) {
        if (must_exist) { fprintf(stderr, "replay %s: %s: %s\n", FUZZ_TARGET, path, strerror(errno)); failed++; }
        return;
    }
    if (!S_ISDIR(st.st_mode)) { run_one(path, timeout_s); return; }
    struct dirent **names;
    int n = scandir(path, &names, NULL, by_name);   // sorted: the same order on every machine
    for (int i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.') {
            char file[4096];
            snprintf(file, sizeof file, "%s/%s", path, names[i]->d_name);
            run_path(file, timeout_s, 1);
        }
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv) {
    // Generous: a sanitizer build on a loaded machine is many times slower than
    // a fuzzing run, whose own limit for a hang is 10 s (make fuzz).
    const char *t = getenv("REPLAY_TIMEOUT");
    unsigned timeout_s = t && atoi(t) > 0 ? (unsigned)atoi(t) : 60;
    printf("[==========] Running 1 test(s).\n[ RUN      ] replay %s\n", FUZZ_TARGET);
    if (argc > 1) {
        for (int i = 1; i < argc; i++) run_path(argv[i], timeout_s, 1);
    } else {
        run_path("fuzz/corpus/" FUZZ_TARGET, timeout_s, 1);
        run_path("fuzz/regressions/" FUZZ_TARGET, timeout_s, 0);
    }
    printf("replay %s: %d inputs, %d failed\n", FUZZ_TARGET, replayed, failed);
    if (failed || !replayed) {
        printf("[  FAILED  ] replay %s\n[==========] 1 test(s) run.\n[  PASSED  ] 0 test(s).\n[  FAILED  ] 1 test(s).\n", FUZZ_TARGET);
        return 1;
    }
    printf("[       OK ] replay %s\n[==========] 1 test(s) run.\n[  PASSED  ] 1 test(s).\n", FUZZ_TARGET);
    return 0;
}
