#include "base/ranks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/error.h"
#include "base/xalloc.h"

void ranks_idle(void) {
    struct timespec ts = { 0, 200000 };   // 0.2 ms: a message waits at most that long, a core stays free
    nanosleep(&ts, NULL);
}

#ifdef JACKPOT_MPI
#include <limits.h>
#include <mpi.h>

static int on, rank, size = 1, local_size = 1;

static int launched(void) {
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

int ranks_init(int *argc, char ***argv) {
    if (on || !launched()) return 0;
    int provided;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS) return jp_fail("MPI_Init_thread failed");
    on = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
    MPI_Comm_size(node, &local_size);
    MPI_Comm_free(&node);
    // A worker thread of rank 0 makes the data-parallel calls while the main thread waits.
    if (provided < MPI_THREAD_SERIALIZED) return jp_fail("the MPI library offers thread level %d, jackpot needs SERIALIZED", provided);
    return 0;
}

void ranks_finalize(void) {
    if (on) MPI_Finalize();
    on = 0;
}

int ranks_rank(void) { return rank; }
int ranks_size(void) { return size; }
int ranks_local_size(void) { return local_size; }
int ranks_built_with_mpi(void) { return 1; }

const char *ranks_library(void) {
    static char v[MPI_MAX_LIBRARY_VERSION_STRING];
    int n;
    MPI_Get_library_version(v, &n);
    char *nl = strpbrk(v, ",\n");   // "Open MPI v4.1.4, package: …": the name and version
    if (nl) *nl = 0;
    return v;
}

// MPI counts are ints: larger buffers go in pieces.
#define PIECE ((size_t)1 << 30)

// Sends in flight: a blocking MPI_Send of a large message waits for the receiver, and two ranks
// each sending the other a large message at once would wait forever. So a send only starts
// (MPI_Isend of a copy) and the caller's loop, which keeps receiving, completes it later.
typedef struct Pending {
    struct Pending *next;
    MPI_Request req;
    char data[];
} Pending;
static Pending *pending;

int ranks_send(int to, int tag, const void *buf, size_t n) {
    if (n > INT_MAX) return jp_fail("a message of %zu bytes is over MPI's limit", n);
    Pending *p = xmalloc(sizeof *p + n);
    memcpy(p->data, buf, n);
    if (MPI_Isend(p->data, (int)n, MPI_BYTE, to, tag, MPI_COMM_WORLD, &p->req) != MPI_SUCCESS) {
        free(p);
        return jp_fail("MPI_Isend to rank %d failed", to);
    }
    p->next = pending;
    pending = p;
    return 0;
}

int ranks_sends_pending(void) {
    int left = 0;
    for (Pending **at = &pending; *at;) {
        int done = 0;
        MPI_Test(&(*at)->req, &done, MPI_STATUS_IGNORE);
        if (done) {
            Pending *p = *at;
            *at = p->next;
            free(p);
        } else {
            at = &(*at)->next;
            left++;
        }
    }
    return left;
}

int ranks_poll(int from, int *source, int *tag, size_t *n) {
    int flag = 0, count = 0;
    MPI_Status st;
    MPI_Iprobe(from == RANKS_ANY ? MPI_ANY_SOURCE : from, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
    if (!flag) return 0;
    MPI_Get_count(&st, MPI_BYTE, &count);
    *source = st.MPI_SOURCE;
    *tag = st.MPI_TAG;
    *n = (size_t)count;
    return 1;
}

int ranks_recv(int from, int tag, void *buf, size_t n) {
    return MPI_Recv(buf, (int)n, MPI_BYTE, from, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE) == MPI_SUCCESS
               ? 0 : jp_fail("MPI_Recv from rank %d failed", from);
}

void ranks_bcast(void *buf, size_t n, int root) {
    for (size_t at = 0; at < n; at += PIECE)
        MPI_Bcast((char *)buf + at, (int)(n - at < PIECE ? n - at : PIECE), MPI_BYTE, root, MPI_COMM_WORLD);
}

void ranks_gather_int(int mine, int *all) {
    MPI_Gather(&mine, 1, MPI_INT, all, 1, MPI_INT, 0, MPI_COMM_WORLD);
}

void ranks_sum_float(void *ctx, float *buf, size_t n) {
    (void)ctx;
    for (size_t at = 0; at < n; at += PIECE)
        MPI_Allreduce(MPI_IN_PLACE, buf + at, (int)(n - at < PIECE ? n - at : PIECE), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}

void ranks_abort(int status) {
    if (on && size > 1) MPI_Abort(MPI_COMM_WORLD, status);
}

#else   // built without MPI: one process

int ranks_init(int *argc, char ***argv) { (void)argc; (void)argv; return 0; }
void ranks_finalize(void) {}
int ranks_rank(void) { return 0; }
int ranks_size(void) { return 1; }
int ranks_local_size(void) { return 1; }
int ranks_built_with_mpi(void) { return 0; }
const char *ranks_library(void) { return "none: built without MPI (install libopenmpi-dev and rebuild)"; }
int ranks_send(int to, int tag, const void *buf, size_t n) { (void)to; (void)tag; (void)buf; (void)n; return jp_fail("built without MPI"); }
int ranks_sends_pending(void) { return 0; }
int ranks_poll(int from, int *source, int *tag, size_t *n) { (void)from; (void)source; (void)tag; (void)n; return 0; }
int ranks_recv(int from, int tag, void *buf, size_t n) { (void)from; (void)tag; (void)buf; (void)n; return jp_fail("built without MPI"); }
void ranks_bcast(void *buf, size_t n, int root) { (void)buf; (void)n; (void)root; }
void ranks_gather_int(int mine, int *all) { if (all) all[0] = mine; }
void ranks_sum_float(void *ctx, float *buf, size_t n) { (void)ctx; (void)buf; (void)n; }
void ranks_abort(int status) { (void)status; }
#endif
