// Language models through the whole of jackpot, end to end via the binary ($JACKPOT_BIN):
// a 2-size × 2-seed gpt sweep on tests/data/small.txt runs to done with Kaplan's N, the
// total, and FLOPs = tokens · (6N + 6·L·context·d_model) stored; fit, dist, export and sample
// accept the database; a rerun has nothing to do; and a sweep killed with SIGKILL while a group
// holds a checkpoint resumes from it and ends with metrics, summaries and weights bit-for-bit
// those of the uninterrupted sweep.
#include "testutil.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

static char dir[64], yaml[128];

static const char SWEEP[] =
    "name: lm-sweep-test\n"
    "task: {name: text, path: tests/data/small.txt, val_bytes: 400, test_bytes: 400, split_block: 256}\n"
    "model: {family: gpt, n_layer: 1, n_head: 2, context: 16}\n"
    "optim: {name: adamw, lr: 3e-3, clip: 1.0}\n"
    "schedule: {name: cosine, warmup: 10, min_lr_ratio: 0.1}\n"
    "budget: {batch: 8, steps: 400, evals: 4, checkpoint_steps: 20}\n"
    "grid: {model.d_model: [8, 16]}\n"
    "seeds: {init: 2}\n";

// Files in folder ending in `suffix`.
static int count_files(const char *folder, const char *suffix) {
    DIR *d = opendir(folder);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t l = strlen(e->d_name), k = strlen(suffix);
        if (l > k && !strcmp(e->d_name + l - k, suffix)) n++;
    }
    if (d) closedir(d);
    return n;
}

static void write_sweep(void) {
    assert_int_equal(temp_dir_make(dir, sizeof dir, "lmsweep"), 0);
    snprintf(yaml, sizeof yaml, "%s/lm.yaml", dir);
    FILE *f = fopen(yaml, "w");
    fputs(SWEEP, f);
    fclose(f);
}

// The uninterrupted sweep, its counts, and every command that reads it.
static void check_clean(const char *clean) {
    char args[512], out[65536];
    snprintf(args, sizeof args, "plan %s", yaml);   // N, and FLOPs = 400·8·16 tokens · 6096 per token
    assert_int_equal(run(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "gpt C8 L1 H2 T16                888       2       400      8       312M"));
    assert_non_null(strstr(out, "estimated time on"));
    snprintf(args, sizeof args, "run %s --db %s", yaml, clean);
    assert_int_equal(run(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "4 done now (0 diverged), 0 failed"));
    assert_int_equal(run(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "4 runs, 4 already done, 0 to train"));
    sqlite3 *db;
    assert_int_equal(sqlite3_open(clean, &db), SQLITE_OK);
    // d_model 8: N = L(4C² + 2C·d_ff + 9C + d_ff) + 2C = 256 + 512 + 72 + 32 + 16 = 888; total
    // adds wte 256·8 and wpe 16·8 (tied); FLOPs per token 6·888 + 6·1·16·8 = 6096, 400·8·16 tokens
    assert_int_equal((int)sql_value(db, "SELECT count(*) FROM runs WHERE status = 'done' AND family = 'gpt' AND task = 'text'"), 4);
    assert_int_equal((int)sql_value(db, "SELECT min(n_params) FROM runs"), 888);
    // D: the whole training part (train_size 0), recorded once the corpus is read; validation and
    // test take at least 400 bytes each, in whole units of at most 256 bytes (split_block): ≤ 655 each
    double D = sql_value(db, "SELECT min(train_size) FROM runs");
    assert_true(D == sql_value(db, "SELECT max(train_size) FROM runs") && D >= 4097 - 2 * 656 && D <= 4097 - 800);
    assert_int_equal((int)sql_value(db, "SELECT min(json_extract(params, '$.\"resolved.n_params_total\"')) FROM runs"), 3064);
    assert_true(sql_value(db, "SELECT min(planned_flops) FROM runs") == 6096.0 * 400 * 8 * 16);
    assert_true(sql_value(db, "SELECT min(value) FROM summaries WHERE name = 'flops'") == 6096.0 * 400 * 8 * 16);
    assert_true(sql_value(db, "SELECT min(value) FROM summaries WHERE name = 'tokens'") == 400.0 * 8 * 16);
    // evaluations at steps 0, 100, 200, 300, 400; bits per byte = nats / ln 2
    assert_int_equal((int)sql_value(db, "SELECT count(*) FROM (SELECT run_id, step FROM metrics GROUP BY run_id, step)"), 4 * 5);
    assert_true(sql_value(db, "SELECT max(abs(b.value - l.value / 0.6931471805599453)) FROM metrics b JOIN metrics l"
                      " ON l.run_id = b.run_id AND l.step = b.step AND l.split = b.split AND l.name = 'loss'"
                      " WHERE b.name = 'bpb'") < 1e-12);
    assert_true(sql_value(db, "SELECT max(value) FROM summaries WHERE name = 'final_val_loss'") < 5.545);   // below ln 256
    sqlite3_close(db);
    snprintf(args, sizeof args, "fit --db %s --law power", clean);
    assert_int_equal(run(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "alpha"));
    snprintf(args, sizeof args, "dist --db %s", clean);
    assert_int_equal(run(args, out, sizeof out), 0);
    snprintf(args, sizeof args, "export --db %s", clean);
    assert_int_equal(run(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "final_val_bpb"));
    snprintf(args, sizeof args, "sample --db %s --run 3 --prompt 'The ' --bytes 20 --temperature 0", clean);
    assert_int_equal(run(args, out, sizeof out), 0);
    assert_int_equal((int)strlen(out), 4 + 20 + 1);
    assert_memory_equal(out, "The ", 4);
    snprintf(args, sizeof args, "sample --db %s --run 99 --prompt x", clean);
    assert_int_equal(run(args, out, sizeof out), 1);
    assert_non_null(strstr(out, "no readable weights"));
}

// Kills runners until one dies while a group's checkpoint is on disk.
static void kill_mid_group(const char *killed, const char *ckpt_dir) {
    for (int attempt = 0; attempt < 10; attempt++) {
        pid_t pid = fork();
        if (pid == 0) {
            freopen("/dev/null", "w", stderr);
            execl(bin(), bin(), "run", yaml, "--db", killed, "--quiet", (char *)NULL);
            _exit(127);
        }
        for (int i = 0; i < 20000 && count_files(ckpt_dir, ".safetensors") == 0; i++) usleep(500);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        if (count_files(ckpt_dir, ".safetensors") > 0) return;
    }
    fail_msg("no kill landed while a checkpoint was on disk");
}

static void test_lm_sweep(void **state) {
    (void)state;
    write_sweep();
    char clean[160], killed[160], ckpt_dir[200], args[512], out[65536];
    snprintf(clean, sizeof clean, "%s/clean.db", dir);
    snprintf(killed, sizeof killed, "%s/killed.db", dir);
    snprintf(ckpt_dir, sizeof ckpt_dir, "%s.ckpt", killed);
    check_clean(clean);

    kill_mid_group(killed, ckpt_dir);
    snprintf(args, sizeof args, "run %s --db %s", yaml, killed);
    assert_int_equal(run(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "resumes from its checkpoint at step"));
    assert_int_equal(count_files(ckpt_dir, ".safetensors") + count_files(ckpt_dir, ".log"), 0);   // removed when done
    assert_int_equal(run(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "4 already done"));

    sqlite3 *db;
    assert_int_equal(sqlite3_open(killed, &db), SQLITE_OK);
    assert_int_equal((int)sql_value(db, "SELECT count(*) FROM runs WHERE status = 'done'"), 4);
    assert_int_equal((int)sql_value(db, "SELECT count(*) FROM (SELECT run_id, step FROM metrics GROUP BY run_id, step)"), 4 * 5);
    char attach[256];
    snprintf(attach, sizeof attach, "ATTACH '%s' AS c", clean);
    assert_int_equal(sqlite3_exec(db, attach, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal((int)sql_value(db, "SELECT count(*) FROM summaries"), (int)sql_value(db, "SELECT count(*) FROM c.summaries"));
    assert_int_equal((int)sql_value(db, "SELECT count(*) FROM metrics"), (int)sql_value(db, "SELECT count(*) FROM c.metrics"));
    assert_int_equal((int)sql_value(db, "SELECT count(*) FROM summaries s JOIN runs r ON r.id = s.run_id"
                                " JOIN c.runs cr ON cr.hash = r.hash JOIN c.summaries cs ON cs.run_id = cr.id"
                                " AND cs.name = s.name WHERE cs.value IS NOT s.value"), 0);
    assert_int_equal((int)sql_value(db, "SELECT count(*) FROM metrics m JOIN runs r ON r.id = m.run_id"
                                " JOIN c.runs cr ON cr.hash = r.hash JOIN c.metrics cm ON cm.run_id = cr.id"
                                " AND cm.step = m.step AND cm.split = m.split AND cm.name = m.name"
                                " WHERE cm.value IS NOT m.value OR cm.examples IS NOT m.examples OR cm.flops IS NOT m.flops"), 0);
    sqlite3_close(db);
    for (int id = 1; id <= 4; id++) {   // the same weights, byte for byte
        char cmd[600];
        snprintf(cmd, sizeof cmd, "cmp -s %s.weights/%d.safetensors %s.weights/%d.safetensors", clean, id, killed, id);
        assert_int_equal(system(cmd), 0);
    }
    assert_int_equal(temp_dir_remove(dir), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_lm_sweep) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
