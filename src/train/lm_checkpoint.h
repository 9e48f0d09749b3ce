// Checkpoints of a language-model run in progress, and the weights-only export of one
// member, both in safetensors (nn/safetensors.h: written to PATH.tmp and renamed, so a
// kill -9 leaves the old file or the new one).
//
// Checkpoint (format "jackpot-lm-checkpoint", version 1):
//   tensors   params, adam_m, adam_v: each [M][P] float32 (AdamW's moments; SGD's momentum
//             buffer in adam_m). Gradients are not kept: every step overwrites them.
//   metadata  format, version, config (lm_config_describe: a resume under another is
//             refused), d_model, n_layer, n_head, d_ff, context, tie_embeddings, M, P,
//             step (steps taken: the next step to take), evaluated_step (the last evaluation's
//             step, −1 before the first), wall_s, eval_s, and per member m
//             "member.m"       = "init_seed data_seed t loss_sum loss_count grad_norm diverged_step"
//             "member.m.final" and "member.m.best" = an LmRecord,
//               "step tokens flops wall_s lr grad_norm train_loss val_loss test_loss val_bpb test_bpb"
//             Numbers are printed with %.17g (doubles) or %.9g (floats), which read back exactly;
//             t is AdamW's step count, loss_sum/loss_count the training-loss accumulator since
//             the last evaluation (so a checkpoint may be taken at any step, see train/lm.h).
//
// Weights (format "jackpot-gpt", version 1): one member's parameters, one tensor per entry
// of gpt_tensors under nanoGPT's state_dict names ("transformer.wte.weight",
// "transformer.h.0.attn.c_attn.weight", …; nn.Linear's [out][in] layout; vectors 1-D).
// Tied embeddings write no "lm_head.weight" (it is wte: load with strict=False, or assign
// lm_head.weight = wte). Metadata: format, version, vocab (256), d_model, n_layer, n_head,
// d_ff, context, tie_embeddings, gelu ("erf"), layernorm_eps ("1e-5"), n_params,
// n_params_nonembedding, init_seed, data_seed, step.
#pragma once
#include "train/lm.h"

#define LM_CHECKPOINT_FORMAT "jackpot-lm-checkpoint"
#define LM_CHECKPOINT_VERSION 1
#define LM_WEIGHTS_FORMAT "jackpot-gpt"
#define LM_WEIGHTS_VERSION 1

// 0, or −1 (jp_fail naming the path).
int lm_checkpoint_write(const char *path, const LmEnsemble *e);
// Fills e (allocated here: lm_ensemble_free it) with the run's state, ready for
// train_lm_ensemble to continue. 0, or −1 (jp_fail: not a checkpoint, another version,
// tensors of the wrong size, unreadable metadata).
int lm_checkpoint_read(const char *path, LmEnsemble *e);

// Member m's weights. 0, or −1 (jp_fail).
int lm_weights_write(const char *path, const LmEnsemble *e, int m);
// The shape and a new params[P] vector (free it). 0, or −1 (jp_fail: a tensor missing or of
// another shape, a shape that cannot be built).
int lm_weights_read(const char *path, GptShape *shape, float **params);
