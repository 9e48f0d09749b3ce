// The files of gpt runs beside the database DB:
//   DB.ckpt/GROUP.safetensors   a group's LmEnsemble checkpoint (train/lm_checkpoint.h), written
//                               every budget.checkpoint_minutes / budget.checkpoint_steps and when
//                               the sweep is stopped; a retried group resumes from it; deleted when
//                               the group is done.
//   DB.ckpt/GROUP.log           the group's evaluation records so far, one line each (flushed as
//                               they come): a store reset deletes an interrupted run's metrics, so a
//                               resumed group writes back those up to its checkpoint's step from here.
//   DB.weights/RUN.safetensors  a finished run's weights (lm_weights_write: nanoGPT's names).
#pragma once
#include <stddef.h>
#include <stdio.h>

#include "train/lm.h"

void lm_checkpoint_file(const char *db, const char *group_hash, char *out, size_t n);
void lm_log_file(const char *db, const char *group_hash, char *out, size_t n);
void lm_weights_file(const char *db, long run_id, char *out, size_t n);
// Makes DB.ckpt and DB.weights when missing: 0, or −1 (jp_fail).
int lm_files_mkdir(const char *db);

// One record as a line of text that reads back exactly (%.17g, %.9g).
void lm_log_write(FILE *f, const LmRecord *r);
// The records of the log at path with step <= max_step, in order (*out: free it); a missing
// file is none, a torn last line (a kill during the write) is skipped. Returns the count.
long lm_log_read(const char *path, long max_step, LmRecord **out);
