#include "sweep/lm_files.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "base/error.h"
#include "base/xalloc.h"

void lm_checkpoint_file(const char *db, const char *group_hash, char *out, size_t n) {
    snprintf(out, n, "%s.ckpt/%s.safetensors", db, group_hash);
}

void lm_log_file(const char *db, const char *group_hash, char *out, size_t n) {
    snprintf(out, n, "%s.ckpt/%s.log", db, group_hash);
}

void lm_weights_file(const char *db, long run_id, char *out, size_t n) {
    snprintf(out, n, "%s.weights/%ld.safetensors", db, run_id);
}

int lm_files_mkdir(const char *db) {
    static const char *const dirs[] = { "ckpt", "weights" };
    char path[1200];
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s.%s", db, dirs[i]);
        if (mkdir(path, 0777) != 0 && errno != EEXIST) return jp_fail("%s: cannot make the folder: %s", path, strerror(errno));
    }
    return 0;
}

void lm_log_write(FILE *f, const LmRecord *r) {
    fprintf(f, "%d %llu %llu %ld %.17g %.17g %.17g %.9g %.9g %.17g %.17g %.17g %.17g %.17g end\n", r->member,
            (unsigned long long)r->init_seed, (unsigned long long)r->data_seed, r->step, r->tokens, r->flops, r->wall_s,
            (double)r->lr, (double)r->grad_norm, r->train_loss, r->val_loss, r->test_loss, r->val_bpb, r->test_bpb);
    fflush(f);
}

static int parse_line(const char *line, LmRecord *r) {
    unsigned long long is, ds;
    double lr, gn;
    char end[8] = "";
    int k = sscanf(line, "%d %llu %llu %ld %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %7s", &r->member, &is, &ds, &r->step,
                   &r->tokens, &r->flops, &r->wall_s, &lr, &gn, &r->train_loss, &r->val_loss, &r->test_loss, &r->val_bpb,
                   &r->test_bpb, end);
    if (k != 15 || strcmp(end, "end")) return -1;
    r->init_seed = is;
    r->data_seed = ds;
    r->lr = (float)lr;
    r->grad_norm = (float)gn;
    return 0;
}

long lm_log_read(const char *path, long max_step, LmRecord **out) {
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    long n = 0, cap = 0;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        LmRecord r = { 0 };
        if (parse_line(line, &r) != 0 || r.step > max_step) continue;
        if (n == cap) *out = xrealloc(*out, sizeof **out * (size_t)(cap = cap ? 2 * cap : 64));
        (*out)[n++] = r;
    }
    fclose(f);
    return n;
}
