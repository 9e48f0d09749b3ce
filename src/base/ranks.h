// The processes of an MPI job (mpirun, srun), or this process alone.
//
// jackpot is built with MPI when Debian's OpenMPI is installed (the Makefile defines
// JACKPOT_MPI); without it, or when not launched by an MPI launcher, every function here
// answers for one process: rank 0 of 1. MPI is initialised only when the environment says
// a launcher started us (OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_RANK): a plain `jackpot run`
// never starts MPI's runtime.
//
// Messages are bytes with a tag, point to point (the distributed scheduler's protocol,
// sweep/distributed.c); ranks_sum_float is the data-parallel gradient sum (MPI_Allreduce).
#pragma once
#include <stddef.h>

// MPI_Init_thread when launched by an MPI launcher (asks for MPI_THREAD_MULTIPLE, needs at
// least SERIALIZED). 0, or −1 (jp_fail). Safe to call once per process.
int ranks_init(int *argc, char ***argv);
void ranks_finalize(void);
int ranks_rank(void);
int ranks_size(void);
int ranks_local_size(void);       // processes of this job on this node (1 without MPI)
int ranks_built_with_mpi(void);
// The MPI library's name and version ("Open MPI v4.1.4, …"), or why there is none.
const char *ranks_library(void);

#define RANKS_ANY (-1)
// Starts sending a copy of buf[n]; the caller's polling loop completes it (ranks_sends_pending),
// receiving meanwhile, so two ranks sending each other large messages never wait on each other.
int ranks_send(int to, int tag, const void *buf, size_t n);
// Completes what sends it can: how many are still in flight. Called by one thread only.
int ranks_sends_pending(void);
// Whether a message from `from` (or RANKS_ANY) waits: 1 with its source, tag and size; 0 none.
int ranks_poll(int from, int *source, int *tag, size_t *n);
int ranks_recv(int from, int tag, void *buf, size_t n);
// A short sleep for a polling loop (MPI's blocking receive spins a core at 100%).
void ranks_idle(void);

// Collectives over every rank (all call them in the same order).
void ranks_bcast(void *buf, size_t n, int root);
void ranks_gather_int(int mine, int *all);   // all[size] on rank 0 (ignored elsewhere)
// buf[n] ← its elementwise sum over the ranks. ctx unused (the LmConfig.dp.sum signature).
void ranks_sum_float(void *ctx, float *buf, size_t n);
// In a job of several ranks, ends every rank with this exit status (rank 0 cannot go on);
// alone, returns (the caller exits).
void ranks_abort(int status);
