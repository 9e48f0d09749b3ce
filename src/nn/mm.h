// Small matrix products for the MLP family, with a fixed order of summation for
// every output element: an element's value depends only on its own row of the
// left operand, its own column of the right one and the inner size, never on how
// many rows or columns are computed in the same call. That is what lets members
// of an ensemble that see the same inputs share one gathered batch (and any
// blocking of the work) while each stays bit-for-bit its solo run.
//
// No packing: the operands are read in place, which is where OpenBLAS loses most
// of its time on the thin products of small ensembles (784 → 8…64).
//
// The order of summation (every build gives the same bits; the *_portable loops are
// its definition, and the build's path where the compiler targets no AVX-512):
//   mm_nt  C[r][j], K < 128: one chain of fmaf over k = 0, 1, …, K−1 from 0.
//          K ≥ 128: 16 lane sums s[l] = Σ A[r][k]·W[j][k] over k ≡ l (mod 16), each a
//          chain of fmaf in increasing k from 0; then halves added pairwise:
//          s[l] += s[l+8] (l < 8), s[l] += s[l+4] (l < 4), s[l] += s[l+2], s[0] + s[1].
//   mm_tn  C[j][k]: one chain of fmaf over r = 0, 1, …, B−1 from 0.
//   mm_nn  C[r][k]: one chain of fmaf over j = 0, 1, …, N−1 from 0.
// Any B, N, K ≥ 1 and any leading dimensions (≥ the row length); C must not overlap inputs.
// No allocation; mm_nt with K < 128 uses 32 KiB of stack (a copy of 64 columns of Wᵀ).
#pragma once

// C[B][N] = A[B][K] · W[N][K]ᵀ              (forward: inputs times weights)
void mm_nt(int B, int N, int K, const float *A, int lda, const float *W, int ldw, float *C, int ldc);

// C[N][K] = D[B][N]ᵀ · A[B][K]              (weight gradient; overwritten)
void mm_tn(int B, int N, int K, const float *D, int ldd, const float *A, int lda, float *C, int ldc);

// C[B][K] = D[B][N] · W[N][K]               (input gradient; overwritten)
void mm_nn(int B, int N, int K, const float *D, int ldd, const float *W, int ldw, float *C, int ldc);

// Whether these kernels beat OpenBLAS on a layer of this shape (B rows, in → out). A function
// of the shape alone (never of the member count or threads), so a member's arithmetic is fixed:
// in·out ≤ 784·256 where they are AVX-512 code; never in a build without it (the portable
// loops, with fmaf a library call below x86-64-v3, are a definition, not a fast path).
int mm_prefer(int B, int in, int out);

// The definition of the order above in plain loops (the tests hold the vector kernels to it).
void mm_nt_portable(int B, int N, int K, const float *A, int lda, const float *W, int ldw, float *C, int ldc);
void mm_tn_portable(int B, int N, int K, const float *D, int ldd, const float *A, int lda, float *C, int ldc);
void mm_nn_portable(int B, int N, int K, const float *D, int ldd, const float *W, int ldw, float *C, int ldc);
