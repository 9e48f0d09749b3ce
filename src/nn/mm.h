// Small matrix products for the MLP family, with a fixed order of summation for
// every output element: an element's value depends only on its own row of the
// left operand, its own column of the right one and the inner size, never on how
// many rows or columns are computed in the same call. That is what lets members
// of an ensemble that see the same inputs share one gathered batch (and any
// blocking of the work) while each stays bit-for-bit its solo run.
//
// No packing: the operands are read in place, which is where OpenBLAS loses most
// of its time on the thin products of small ensembles (784 → 8…64).
#pragma once

// C[B][N] = A[B][K] · W[N][K]ᵀ              (forward: inputs times weights)
void mm_nt(int B, int N, int K, const float *A, int lda, const float *W, int ldw, float *C, int ldc);

// C[N][K] = D[B][N]ᵀ · A[B][K]              (weight gradient; overwritten)
void mm_tn(int B, int N, int K, const float *D, int ldd, const float *A, int lda, float *C, int ldc);

// C[B][K] = D[B][N] · W[N][K]               (input gradient; overwritten)
void mm_nn(int B, int N, int K, const float *D, int ldd, const float *W, int ldw, float *C, int ldc);

// Whether these kernels beat OpenBLAS on a layer of this shape (B rows, in → out). A function
// of the shape alone (never of the member count or threads), so a member's arithmetic is fixed.
int mm_prefer(int B, int in, int out);
