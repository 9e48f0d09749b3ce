// Token and learned position embeddings, and the unembedding (the language-model head),
// over one member's batch of B sequences of T positions, width C, vocabulary V.
#pragma once

// X[B][T][C] = wte[tokens[b][t]][C] + wpe[t][C]. Tokens must lie in [0, V) (not checked
// here: gpt_forward checks its batch); T must not exceed wpe's rows (the context).
void embedding_forward(float *X, const int *tokens, const float *wte, const float *wpe,
                       int B, int T, int C);

// dwte[V][C] += Σ over positions holding token v of dX;  dwpe[t][C] += Σ_b dX[b][t]
// (ACCUMULATED: with tied weights dwte already holds the unembedding's gradient; the
// caller zeroes them otherwise). Rows of tokens absent from the batch, and positions
// ≥ T, are left as they were.
void embedding_backward(float *dwte, float *dwpe, const float *dX, const int *tokens,
                        int B, int T, int C);

// logits[N][V] = X[N][C] · W[V][C]ᵀ   (no bias; W is wte when tied, else its own matrix)
void unembedding_forward(float *logits, const float *X, const float *W, int N, int C, int V);

// dX[N][C] = dlogits[N][V] · W[V][C];   dW[V][C] = dlogitsᵀ · X   (both overwritten)
void unembedding_backward(float *dX, float *dW, const float *dlogits, const float *X,
                          const float *W, int N, int C, int V);
