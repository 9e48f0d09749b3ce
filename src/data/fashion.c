#include "data/fashion.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/rng.h"
#include "base/xalloc.h"
#include "data/idx.h"

static int read_pair(const char *dir, const char *prefix, IdxArray *img, IdxArray *lab) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
    if (idx_read(path, 3, img) != 0) return -1;
    snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
    if (idx_read(path, 1, lab) != 0) { idx_free(img); return -1; }
    if (img->dims[0] != lab->dims[0] || img->dims[1] != 28 || img->dims[2] != 28) {
        jp_fail("%s/%s: expected N×28×28 images and N labels, got %u×%u×%u and %u",
                dir, prefix, img->dims[0], img->dims[1], img->dims[2], lab->dims[0]);
        goto fail;
    }
    for (size_t i = 0; i < lab->count; i++)
        if (lab->data[i] > 9) { jp_fail("%s: label %zu is %d, outside 0..9", path, i, lab->data[i]); goto fail; }
    return 0;
fail:
    idx_free(img);
    idx_free(lab);
    return -1;
}

// Copies the examples rows[0..n) of (img, lab) into a split, scaling pixels to [0,1].
static int fill_split(Split *s, const IdxArray *img, const IdxArray *lab, const uint32_t *rows, int n) {
    s->n = n;
    s->x = xmalloc(sizeof(float) * (size_t)n * 784);
    s->y = xmalloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++) {
        uint32_t r = rows ? rows[i] : (uint32_t)i;
        const uint8_t *px = img->data + (size_t)r * 784;
        for (int j = 0; j < 784; j++) s->x[(size_t)i * 784 + j] = px[j] * (1.0f / 255.0f);
        s->y[i] = lab->data[r];
    }
    return 0;
}

static void standardize(Task *t) {
    double sum = 0, sq = 0;
    size_t n = (size_t)t->train.n * 784;
    for (size_t i = 0; i < n; i++) { sum += t->train.x[i]; sq += (double)t->train.x[i] * t->train.x[i]; }
    double mean = sum / n, std = sqrt(sq / n - mean * mean);
    Split *splits[3] = { &t->train, &t->val, &t->test };
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < (size_t)splits[k]->n * 784; i++)
            splits[k]->x[i] = (float)((splits[k]->x[i] - mean) / std);
}

int fashion_load(const FashionOptions *opt, Task *task) {
    *task = (Task){ .dim = 784, .n_out = 10 };
    snprintf(task->name, sizeof task->name, "fashion-mnist");
    const char *dir = opt->data_dir ? opt->data_dir : FASHION_DEFAULT_DIR;
    IdxArray img, lab, timg, tlab;
    if (read_pair(dir, "train", &img, &lab) != 0) return -1;
    if (read_pair(dir, "t10k", &timg, &tlab) != 0) { idx_free(&img); idx_free(&lab); return -1; }
    int n = (int)lab.dims[0], rc = -1;
    uint32_t *order = xmalloc(sizeof(uint32_t) * n);
    if (opt->val_size < 0 || opt->val_size >= n) {
        jp_fail("validation size %d must be in [0, %d)", opt->val_size, n);
        goto done;
    }
    // Validation = the first val_size of a fixed permutation; the pool keeps the
    // rest in file order, so the pool does not depend on any seed.
    rng_permutation(0, RNG_STREAM_SPLIT, order, (uint32_t)n);
    uint8_t *is_val = xcalloc(n, 1);
    for (int i = 0; i < opt->val_size; i++) is_val[order[i]] = 1;
    int pool = 0;
    for (int i = 0; i < n; i++)
        if (!is_val[i]) order[opt->val_size + pool++] = (uint32_t)i;
    free(is_val);
    // order[0..val) are validation rows (random order), order[val..n) the pool (file order).
    if (fill_split(&task->val, &img, &lab, order, opt->val_size) != 0 ||
        fill_split(&task->train, &img, &lab, order + opt->val_size, pool) != 0 ||
        fill_split(&task->test, &timg, &tlab, NULL, (int)tlab.dims[0]) != 0) {
        task_free(task);
        goto done;
    }
    if (opt->standardize) standardize(task);
    rc = 0;
done:
    free(order);
    idx_free(&img); idx_free(&lab); idx_free(&timg); idx_free(&tlab);
    return rc;
}
