#include "base/keyid.h"

#include "base/xalloc.h"

#include <search.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void keyid_init(KeyIds *k) { memset(k, 0, sizeof *k); }

void keyid_free(KeyIds *k) {
    if (k->table) { hdestroy_r(k->table); free(k->table); }
    for (int i = 0; i < k->n; i++) free(k->keys[i]);
    free(k->keys);
    memset(k, 0, sizeof *k);
}

// glibc's tables fail only for want of memory (hcreate_r) or room (hsearch_r, kept
// under half full): out of memory, which xalloc's callers never see returned either.
static void no_table(size_t slots) {
    char what[64];
    snprintf(what, sizeof what, "a hash table of %zu entries", slots);
    xout_of_memory(what);
}

// A table of `slots` entries holding keys[0..n): hsearch_r tables cannot grow,
// so a fuller one is rebuilt at twice the size (amortised O(1) per key).
static void rebuild(KeyIds *k, size_t slots) {
    struct hsearch_data *t = xcalloc(1, sizeof *t);
    if (!hcreate_r(slots, t)) no_table(slots);
    for (int i = 0; i < k->n; i++) {
        ENTRY e = { .key = k->keys[i], .data = (void *)(intptr_t)i }, *found;
        if (!hsearch_r(e, ENTER, &found, t)) no_table(slots);
    }
    if (k->table) { hdestroy_r(k->table); free(k->table); }
    k->table = t;
    k->slots = slots;
}

int keyid_get(KeyIds *k, const char *key) {
    if (!k->table) rebuild(k, 64);
    ENTRY e = { .key = (char *)key }, *found;
    if (hsearch_r(e, FIND, &found, k->table)) return (int)(intptr_t)found->data;
    // a new key; keep the load factor under 1/2, where open addressing stays fast
    if ((size_t)(k->n + 1) * 2 > k->slots) rebuild(k, k->slots * 2);
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 64;
        k->keys = xrealloc(k->keys, sizeof(char *) * k->cap);
    }
    e.key = k->keys[k->n] = xstrdup(key);
    e.data = (void *)(intptr_t)k->n;
    if (!hsearch_r(e, ENTER, &found, k->table)) no_table(k->slots);
    return k->n++;
}
