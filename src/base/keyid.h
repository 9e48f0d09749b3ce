// Dense ids for strings: the first distinct key seen gets 0, the next 1, and so
// on. Used to number clusters (seed groups) while reading rows, in O(1) per row
// (glibc's hsearch_r) instead of comparing each row with every key seen so far.
#pragma once
#include <stddef.h>

typedef struct {
    char **keys;        // [n] copies of the keys, in id order
    int n, cap;         // keys held; room in keys[]
    void *table;        // struct hsearch_data, sized to keep the load under 1/2
    size_t slots;       // the table's size as asked of hcreate_r
} KeyIds;

// Empty set; keyid_free releases everything (also after an error).
void keyid_init(KeyIds *k);
void keyid_free(KeyIds *k);

// The id of key (adding it if new). −1 only when glibc cannot make its hash table (hcreate_r).
int keyid_get(KeyIds *k, const char *key);
