// The store's side of `jackpot dist --tickets`: the tickets table's rows with their runs'
// group, size and seeds, so that seeds/tickets.c holds no SQL.
#pragma once
#include "store/read_seeds.h"

// One stored level of one finished run of a tickets sweep.
typedef struct {
    SeedRow r;                 // key: runs.group_hash; loss, acc: the row's <metric>_test_loss and _acc
    int level;
    char variant[16];          // dense, ticket, reinit, random_mask, oneshot
    double density;            // weights kept, all layers
} TicketSeedRow;

// The tickets rows of the done runs of the database at db (only sweep's when it is not NULL,
// only where `where` holds, SQL on runs r and tickets t, when it is not NULL), metric "final" or
// "best", ordered by runs.n_params, train_size, group, level, variant (dense, ticket, reinit,
// random_mask, oneshot), seeds. *rows[*n] is the caller's to free. 0, or −1 with jp_error().
int ticket_rows_read(const char *db, const char *sweep, const char *metric, const char *where, TicketSeedRow **rows, int *n);

// Rows of the tickets table (0 without the table) and done runs with a <metric>_test_loss
// summary, of the database at db. 0, or −1 with jp_error().
int ticket_rows_count(const char *db, const char *metric, long *tickets, long *summarised);
