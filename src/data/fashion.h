// Fashion-MNIST (Xiao et al. 2017): 60k training and 10k test 28×28 greyscale
// images in 10 classes, read from the IDX gzip files that Debian's
// dataset-fashion-mnist installs.
#pragma once
#include "data/task.h"

#define FASHION_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"

typedef struct {
    const char *data_dir;   // NULL: FASHION_DEFAULT_DIR
    int val_size;           // held out of the 60k training images; the rest is the pool
    int standardize;        // 0: pixels/255 in [0,1]; 1: then (x − mean)/std, both from the pool
} FashionOptions;

// The validation hold-out is a fixed random subset (RNG_STREAM_SPLIT, seed 0),
// the same for every data_seed, so members are judged on the same examples.
int fashion_load(const FashionOptions *opt, Task *task);
