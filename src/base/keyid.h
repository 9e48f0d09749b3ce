// Dense ids for strings: the first distinct key seen gets 0, the next 1, and so
// on. Used to number clusters while reading rows, groups of runs and distinct run
// hashes, in O(1) per key (glibc's hsearch_r) instead of comparing each key with
// every key seen so far. Out of memory aborts, as xalloc does.
#pragma once
#include <stddef.h>

typedef struct {
    char **keys;        // [n] copies of the keys, in id order
    int n, cap;         // keys held; room in keys[]
    void *table;        // struct hsearch_data, sized to keep the load under 1/2
    size_t slots;       // the table's size as asked of hcreate_r
} KeyIds;

// Empty set; keyid_free releases everything.
void keyid_init(KeyIds *k);
void keyid_free(KeyIds *k);

// The id of key (adding it if new: then the id is the old n).
int keyid_get(KeyIds *k, const char *key);
