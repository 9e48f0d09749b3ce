// Losses over one member's batch. Each returns the SUM of per-example losses
// (in double, so evaluation over many batches loses nothing) and, when dY is not
// NULL, writes dY = scale · ∂(sum)/∂Y — scale = 1/B gives the gradient of the mean.
// `correct` (optional) receives the number of rows whose argmax equals the label.
#pragma once

typedef enum { LOSS_CROSS_ENTROPY, LOSS_MSE, LOSS_HEAD } LossKind;

// logits[B][C], labels[B] in [0, C): loss_i = logsumexp(logits_i) − logits_i[label_i]
double softmax_cross_entropy(const float *logits, const int *labels, int B, int C,
                             float scale, float *dY, long *correct);

// Y[B][C] against targets T[B][C], or one-hot labels when T is NULL:
// loss_i = Σ_c (Y − T)² / C   (the mean over all B·C elements, PyTorch's MSELoss, is sum/B)
double mean_squared_error(const float *Y, const float *T, const int *labels, int B, int C,
                          float scale, float *dY, long *correct);

// One head per task (a task-mixture world, data/world.h): each example has a target only at the
// outputs of its own task's head, NaN at the others. loss_i = Σ_{c: T_ic finite} (Y_ic − T_ic)²,
// and dY = 0 at the outputs without a target (those heads get no gradient from the example).
// With one target per row it is the squared error of the selected output. No accuracy (correct = 0).
double head_squared_error(const float *Y, const float *T, int B, int C, float scale, float *dY, long *correct);

// Dispatch on kind; `labels` always given for classification tasks.
double loss_eval(LossKind kind, const float *Y, const float *T, const int *labels, int B, int C,
                 float scale, float *dY, long *correct);

#define LOSS_COUNT 3
extern const char *const loss_names[LOSS_COUNT];   // "ce" (softmax cross-entropy), "mse", "head"
const char *loss_name(LossKind kind);
int loss_parse(const char *name, LossKind *kind);
