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

// A split's labels: lab[rows[i]] (rows NULL: file order).
static int *labels_of(const IdxArray *lab, const uint32_t *rows, int n) {
    int *y = xmalloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++) y[i] = lab->data[rows ? rows[i] : (uint32_t)i];
    return y;
}

// The float each pixel byte stands for, shared by the three splits: byte/255, and with
// standardisation (x − mean)/std with mean and std over the pool. These are, bit for bit, the
// floats the loader stored before it kept bytes: the same expressions, and the sums over the pool
// taken in the same order over the same float values.
static void pixel_table(Task *t, int standardize) {
    float lut[256];
    for (int b = 0; b < 256; b++) lut[b] = b * (1.0f / 255.0f);
    if (standardize) {
        double sum = 0, sq = 0;
        size_t n = (size_t)t->train.n * 784;
        const uint8_t *x8 = t->train.x8;
        for (size_t i = 0; i < n; i++) { float v = lut[x8[i]]; sum += v; sq += (double)v * v; }
        double mean = sum / n, std = sqrt(sq / n - mean * mean);
        for (int b = 0; b < 256; b++) lut[b] = (float)((lut[b] - mean) / std);
    }
    Split *splits[3] = { &t->train, &t->val, &t->test };
    for (int k = 0; k < 3; k++) {
        splits[k]->lut = xmalloc(sizeof lut);
        memcpy(splits[k]->lut, lut, sizeof lut);
    }
}

// The splits keep the files' bytes, converted only when gathered, and take them over rather than
// copy them: the test split owns the t10k images, and the pool is the training images compacted in
// place over the validation rows (which alone are copied out). So the loader's peak memory is the
// images once, in their stored width.
static void take_splits(Task *t, IdxArray *img, const IdxArray *lab, IdxArray *timg, const IdxArray *tlab,
                        const uint32_t *order, int val, int pool) {
    t->val = (Split){ .n = val, .x8 = xmalloc((size_t)val * 784), .y = labels_of(lab, order, val) };
    for (int i = 0; i < val; i++) memcpy(t->val.x8 + (size_t)i * 784, img->data + (size_t)order[i] * 784, 784);
    t->train = (Split){ .n = pool, .y = labels_of(lab, order + val, pool) };
    // order[val..) is increasing, so row i moves down from row order[val + i] ≥ i: never over a row still to move
    for (int i = 0; i < pool; i++)
        memmove(img->data + (size_t)i * 784, img->data + (size_t)order[val + i] * 784, 784);
    t->train.x8 = xrealloc(img->data, (size_t)pool * 784);
    img->data = NULL;
    t->test = (Split){ .n = (int)tlab->dims[0], .x8 = timg->data, .y = labels_of(tlab, NULL, (int)tlab->dims[0]) };
    timg->data = NULL;
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
    take_splits(task, &img, &lab, &timg, &tlab, order, opt->val_size, pool);
    pixel_table(task, opt->standardize);
    rc = 0;
done:
    free(order);
    idx_free(&img); idx_free(&lab); idx_free(&timg); idx_free(&tlab);
    return rc;
}
