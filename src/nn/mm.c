#include "nn/mm.h"

#include <math.h>

#ifdef __AVX512F__
#include <immintrin.h>
#endif

// ---- The definition: scalar loops in the order of mm.h (and the build's path without AVX-512) ----

// One element of mm_nt: 16 lane sums over k ≡ lane (mod 16), then halves added pairwise.
static float nt_dot(const float *a, const float *w, int K) {
    float s[16];
    for (int l = 0; l < 16; l++) {
        s[l] = 0.0f;
        for (int k = l; k < K; k += 16) s[l] = fmaf(a[k], w[k], s[l]);
    }
    for (int h = 8; h >= 1; h /= 2)
        for (int l = 0; l < h; l++) s[l] = s[l] + s[l + h];
    return s[0];
}

void mm_nt_portable(int B, int N, int K, const float *A, int lda, const float *W, int ldw, float *C, int ldc) {
    for (int r = 0; r < B; r++)
        for (int j = 0; j < N; j++) C[(long)r * ldc + j] = nt_dot(A + (long)r * lda, W + (long)j * ldw, K);
}

void mm_tn_portable(int B, int N, int K, const float *D, int ldd, const float *A, int lda, float *C, int ldc) {
    for (int j = 0; j < N; j++)
        for (int k = 0; k < K; k++) {
            float s = 0.0f;
            for (int r = 0; r < B; r++) s = fmaf(D[(long)r * ldd + j], A[(long)r * lda + k], s);
            C[(long)j * ldc + k] = s;
        }
}

void mm_nn_portable(int B, int N, int K, const float *D, int ldd, const float *W, int ldw, float *C, int ldc) {
    for (int r = 0; r < B; r++)
        for (int k = 0; k < K; k++) {
            float s = 0.0f;
            for (int j = 0; j < N; j++) s = fmaf(D[(long)r * ldd + j], W[(long)j * ldw + k], s);
            C[(long)r * ldc + k] = s;
        }
}

#ifdef __AVX512F__

#define INLINE static inline __attribute__((always_inline))

// ---- mm_nt: tiles of up to 4 rows × 4 columns, 16 accumulators over k ----

// Adds each 16-lane vector's halves pairwise (the tree of nt_dot) for 16 vectors at once:
// lane 4i+j of the result is the sum of v[4j+i]. Each level pairs the halves of two vectors.
INLINE __m512 reduce16(const __m512 *v) {
    __m512 t[8], u[4], w[2];
    for (int q = 0; q < 8; q++)   // lanes 0-7: v[2q] lo+hi; 8-15: v[2q+1]
        t[q] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * q], v[2 * q + 1], 0x44),
                             _mm512_shuffle_f32x4(v[2 * q], v[2 * q + 1], 0xee));
    for (int q = 0; q < 4; q++)   // 128-bit block b: v[4q+b], 4 lanes each
        u[q] = _mm512_add_ps(_mm512_shuffle_f32x4(t[2 * q], t[2 * q + 1], 0x88),
                             _mm512_shuffle_f32x4(t[2 * q], t[2 * q + 1], 0xdd));
    for (int q = 0; q < 2; q++)   // block b: v[8q+b] (2 lanes), v[8q+4+b] (2 lanes)
        w[q] = _mm512_add_ps(_mm512_shuffle_ps(u[2 * q], u[2 * q + 1], 0x44),
                             _mm512_shuffle_ps(u[2 * q], u[2 * q + 1], 0xee));
    return _mm512_add_ps(_mm512_shuffle_ps(w[0], w[1], 0x88), _mm512_shuffle_ps(w[0], w[1], 0xdd));
}

// C[R][J] = A[R][K] · W[J][K]ᵀ for constant R, J ≤ 4 (the compiler unrolls each instance).
// Accumulator 4j+i is row i, column j; the unused ones stay zero and cost a few adds.
INLINE void nt_tile(int R, int J, int K, const float *A, long lda, const float *W, long ldw, float *C, long ldc) {
    __m512 acc[16], a[4];
    for (int q = 0; q < 16; q++) acc[q] = _mm512_setzero_ps();
    int k = 0;
    for (; k + 16 <= K; k += 16) {
        for (int i = 0; i < R; i++) a[i] = _mm512_loadu_ps(A + i * lda + k);
        for (int j = 0; j < J; j++) {
            __m512 w = _mm512_loadu_ps(W + j * ldw + k);
            for (int i = 0; i < R; i++) acc[4 * j + i] = _mm512_fmadd_ps(a[i], w, acc[4 * j + i]);
        }
    }
    if (k < K) {   // lanes past K keep their sums (masked FMA), as nt_dot never adds to them
        __mmask16 m = (__mmask16)((1u << (K - k)) - 1);
        for (int i = 0; i < R; i++) a[i] = _mm512_maskz_loadu_ps(m, A + i * lda + k);
        for (int j = 0; j < J; j++) {
            __m512 w = _mm512_maskz_loadu_ps(m, W + j * ldw + k);
            for (int i = 0; i < R; i++) acc[4 * j + i] = _mm512_mask3_fmadd_ps(a[i], w, acc[4 * j + i], m);
        }
    }
    float s[16];
    _mm512_storeu_ps(s, reduce16(acc));
    for (int i = 0; i < R; i++)
        for (int j = 0; j < J; j++) C[i * ldc + j] = s[4 * i + j];
}

typedef void NtTile(int K, const float *A, long lda, const float *W, long ldw, float *C, long ldc);
#define NT_TILE(R, J) \
    static void nt_##R##J(int K, const float *A, long lda, const float *W, long ldw, float *C, long ldc) { \
        nt_tile(R, J, K, A, lda, W, ldw, C, ldc); \
    }
#define NT_ROW(R) NT_TILE(R, 1) NT_TILE(R, 2) NT_TILE(R, 3) NT_TILE(R, 4)
NT_ROW(1) NT_ROW(2) NT_ROW(3) NT_ROW(4)
static NtTile *const NT_TILES[4][4] = {
    { nt_11, nt_12, nt_13, nt_14 }, { nt_21, nt_22, nt_23, nt_24 },
    { nt_31, nt_32, nt_33, nt_34 }, { nt_41, nt_42, nt_43, nt_44 },
};

void mm_nt(int B, int N, int K, const float *A, int lda, const float *W, int ldw, float *C, int ldc) {
    for (int r = 0; r < B; r += 4)
        for (int j = 0; j < N; j += 4)
            NT_TILES[(B - r < 4 ? B - r : 4) - 1][(N - j < 4 ? N - j : 4) - 1](
                K, A + (long)r * lda, lda, W + (long)j * ldw, ldw, C + (long)r * ldc + j, ldc);
}

// ---- mm_tn and mm_nn: one broadcast kernel, C[I][K] = Σ_s P[i,s] · Q[s][K] in increasing s ----

// Tiles of R ≤ 4 output rows × V ≤ 4 vectors of 16 along k (the last one masked by m); P[i,s] is
// P[i·pi + s·ps]: D's column j for mm_tn (pi 1, ps ldd), D's row r for mm_nn (pi ldd, ps 1).
INLINE void bc_tile(int R, int V, __mmask16 m, int S, const float *P, long pi, long ps, const float *Q, long ldq,
                    float *C, long ldc) {
    __m512 acc[4][4], q[4];
    for (int i = 0; i < R; i++)
        for (int v = 0; v < V; v++) acc[i][v] = _mm512_setzero_ps();
    for (int s = 0; s < S; s++) {
        for (int v = 0; v < V - 1; v++) q[v] = _mm512_loadu_ps(Q + s * ldq + 16 * v);
        q[V - 1] = _mm512_maskz_loadu_ps(m, Q + s * ldq + 16 * (V - 1));
        for (int i = 0; i < R; i++) {
            __m512 p = _mm512_set1_ps(P[i * pi + s * ps]);
            for (int v = 0; v < V; v++) acc[i][v] = _mm512_fmadd_ps(p, q[v], acc[i][v]);
        }
    }
    for (int i = 0; i < R; i++) {
        for (int v = 0; v < V - 1; v++) _mm512_storeu_ps(C + i * ldc + 16 * v, acc[i][v]);
        _mm512_mask_storeu_ps(C + i * ldc + 16 * (V - 1), m, acc[i][V - 1]);
    }
}

typedef void BcTile(__mmask16 m, int S, const float *P, long pi, long ps, const float *Q, long ldq, float *C, long ldc);
#define BC_TILE(R, V) \
    static void bc_##R##V(__mmask16 m, int S, const float *P, long pi, long ps, const float *Q, long ldq, float *C, \
                          long ldc) { \
        bc_tile(R, V, m, S, P, pi, ps, Q, ldq, C, ldc); \
    }
#define BC_ROW(R) BC_TILE(R, 1) BC_TILE(R, 2) BC_TILE(R, 3) BC_TILE(R, 4)
BC_ROW(1) BC_ROW(2) BC_ROW(3) BC_ROW(4)
static BcTile *const BC_TILES[4][4] = {
    { bc_11, bc_12, bc_13, bc_14 }, { bc_21, bc_22, bc_23, bc_24 },
    { bc_31, bc_32, bc_33, bc_34 }, { bc_41, bc_42, bc_43, bc_44 },
};

// Blocks of 64 along k outside, so Q's slice [S][64] is reused from L1 by every row tile.
static void bc(int I, int S, int K, const float *P, long pi, long ps, const float *Q, long ldq, float *C, long ldc) {
    for (int k = 0; k < K; k += 64) {
        int kn = K - k < 64 ? K - k : 64, V = (kn + 15) / 16;
        __mmask16 m = (__mmask16)(kn % 16 ? (1u << (kn % 16)) - 1 : 0xffffu);
        for (int i = 0; i < I; i += 4)
            BC_TILES[(I - i < 4 ? I - i : 4) - 1][V - 1](m, S, P + i * pi, pi, ps, Q + k, ldq, C + i * ldc + k, ldc);
    }
}

void mm_tn(int B, int N, int K, const float *D, int ldd, const float *A, int lda, float *C, int ldc) {
    bc(N, B, K, D, 1, ldd, A, lda, C, ldc);
}

void mm_nn(int B, int N, int K, const float *D, int ldd, const float *W, int ldw, float *C, int ldc) {
    bc(B, N, K, D, ldd, 1, W, ldw, C, ldc);
}

int mm_prefer(int B, int in, int out) { (void)B; return (long)in * out <= 784L * 64; }

#else   // no AVX-512: the definition itself, and OpenBLAS is faster everywhere

void mm_nt(int B, int N, int K, const float *A, int lda, const float *W, int ldw, float *C, int ldc) {
    mm_nt_portable(B, N, K, A, lda, W, ldw, C, ldc);
}
void mm_tn(int B, int N, int K, const float *D, int ldd, const float *A, int lda, float *C, int ldc) {
    mm_tn_portable(B, N, K, D, ldd, A, lda, C, ldc);
}
void mm_nn(int B, int N, int K, const float *D, int ldd, const float *W, int ldw, float *C, int ldc) {
    mm_nn_portable(B, N, K, D, ldd, W, ldw, C, ldc);
}
int mm_prefer(int B, int in, int out) { (void)B; (void)in; (void)out; return 0; }

#endif
