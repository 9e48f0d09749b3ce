#include "nn/mm.h"

#include <math.h>

#ifdef __AVX512F__
#include <immintrin.h>
#endif

// Where mm_nt's order switches from one chain to 16 lanes (see mm.h): a short dot product is
// computed as a broadcast product against Wᵀ, which a lane reduction per element would dominate.
#define NT_LANES_K 128

// ---- The definition: scalar loops in the order of mm.h (and the build's path without AVX-512) ----

// One element of mm_nt: below NT_LANES_K, one chain in increasing k; from it on, 16 lane sums
// over k ≡ lane (mod 16), then halves added pairwise.
static float nt_dot(const float *a, const float *w, int K) {
    if (K < NT_LANES_K) {
        float s = 0.0f;
        for (int k = 0; k < K; k++) s = fmaf(a[k], w[k], s);
        return s;
    }
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

// Accumulators are named variables, not arrays: GCC keeps an array of vectors in memory,
// storing it every step, because the loads of the operands (may_alias) could read it.
// GCC folds a load into every FMA that uses it (four loads of one vector); held in a register,
// each operand is loaded once and the kernel is bound by the FMAs, not by the loads.
#define IN_REGISTER(x) __asm__("" : "+v"(x))
#define ZERO4(x) __m512 x##0 = _mm512_setzero_ps(), x##1 = x##0, x##2 = x##0, x##3 = x##0

// C[R][J] = A[R][K] · W[J][K]ᵀ for constant R, J ≤ 4 (the compiler drops what R and J rule out).
// Accumulator cIJ is row I, column J; the unused ones stay zero and cost a few adds.
#define NT_COL(j, LOAD, FMA) \
    if (J > j) { \
        __m512 w = LOAD(W + j * ldw + k); \
        IN_REGISTER(w); \
        c0##j = FMA(a0, w, c0##j); \
        if (R > 1) c1##j = FMA(a1, w, c1##j); \
        if (R > 2) c2##j = FMA(a2, w, c2##j); \
        if (R > 3) c3##j = FMA(a3, w, c3##j); \
    }
#define NT_STEP(LOAD, FMA) \
    { \
        __m512 a0 = LOAD(A + k), a1 = R > 1 ? LOAD(A + lda + k) : a0, a2 = R > 2 ? LOAD(A + 2 * lda + k) : a0, \
            a3 = R > 3 ? LOAD(A + 3 * lda + k) : a0; \
        IN_REGISTER(a0); \
        IN_REGISTER(a1); \
        IN_REGISTER(a2); \
        IN_REGISTER(a3); \
        NT_COL(0, LOAD, FMA) NT_COL(1, LOAD, FMA) NT_COL(2, LOAD, FMA) NT_COL(3, LOAD, FMA) \
    }
#define LOAD_ALL(p) _mm512_loadu_ps(p)
#define LOAD_M(p) _mm512_maskz_loadu_ps(m, p)
#define FMA_ALL(a, b, c) _mm512_fmadd_ps(a, b, c)
#define FMA_M(a, b, c) _mm512_mask3_fmadd_ps(a, b, c, m)   // lanes past K keep their sums, as in nt_dot
INLINE void nt_tile(int R, int J, int K, const float *A, long lda, const float *W, long ldw, float *C, long ldc) {
    ZERO4(c0); ZERO4(c1); ZERO4(c2); ZERO4(c3);
    int k = 0;
    for (; k + 16 <= K; k += 16) NT_STEP(LOAD_ALL, FMA_ALL)
    if (k < K) {
        __mmask16 m = (__mmask16)((1u << (K - k)) - 1);
        NT_STEP(LOAD_M, FMA_M)
    }
    const __m512 v[16] = { c00, c10, c20, c30, c01, c11, c21, c31, c02, c12, c22, c32, c03, c13, c23, c33 };
    float s[16];
    _mm512_storeu_ps(s, reduce16(v));
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

static void nt_lanes(int B, int N, int K, const float *A, long lda, const float *W, long ldw, float *C, long ldc) {
    for (int r = 0; r < B; r += 4)
        for (int j = 0; j < N; j += 4)
            NT_TILES[(B - r < 4 ? B - r : 4) - 1][(N - j < 4 ? N - j : 4) - 1](
                K, A + r * lda, lda, W + j * ldw, ldw, C + r * ldc + j, ldc);
}

// ---- mm_tn and mm_nn: one broadcast kernel, C[I][K] = Σ_s P[i,s] · Q[s][K] in increasing s ----

// Tiles of R ≤ 4 output rows × V ≤ 4 vectors of 16 along k (the last one masked by m); P[i,s] is
// P[i·pi + s·ps]: D's column j for mm_tn (pi 1, ps ldd), D's row r for mm_nn (pi ldd, ps 1).
INLINE __m512 get(const float *q, int last, __mmask16 m) {
    return last ? _mm512_maskz_loadu_ps(m, q) : _mm512_loadu_ps(q);
}
INLINE void put(float *c, int last, __mmask16 m, __m512 x) {
    if (last) _mm512_mask_storeu_ps(c, m, x);
    else _mm512_storeu_ps(c, x);
}
#define BC_FMA(i) \
    if (R > i) { \
        __m512 p = _mm512_set1_ps(P[i * pi + s * ps]); \
        c##i##0 = _mm512_fmadd_ps(p, q0, c##i##0); \
        if (V > 1) c##i##1 = _mm512_fmadd_ps(p, q1, c##i##1); \
        if (V > 2) c##i##2 = _mm512_fmadd_ps(p, q2, c##i##2); \
        if (V > 3) c##i##3 = _mm512_fmadd_ps(p, q3, c##i##3); \
    }
#define BC_PUT(i) \
    if (R > i) { \
        put(C + i * ldc, V == 1, m, c##i##0); \
        if (V > 1) put(C + i * ldc + 16, V == 2, m, c##i##1); \
        if (V > 2) put(C + i * ldc + 32, V == 3, m, c##i##2); \
        if (V > 3) put(C + i * ldc + 48, 1, m, c##i##3); \
    }
INLINE void bc_tile(int R, int V, __mmask16 m, int S, const float *P, long pi, long ps, const float *Q, long ldq,
                    float *C, long ldc) {
    ZERO4(c0); ZERO4(c1); ZERO4(c2); ZERO4(c3);
    for (int s = 0; s < S; s++) {
        const float *q = Q + s * ldq;
        __m512 q0 = get(q, V == 1, m), q1 = V > 1 ? get(q + 16, V == 2, m) : q0,
            q2 = V > 2 ? get(q + 32, V == 3, m) : q0, q3 = V > 3 ? get(q + 48, 1, m) : q0;
        IN_REGISTER(q0);
        IN_REGISTER(q1);
        IN_REGISTER(q2);
        IN_REGISTER(q3);
        BC_FMA(0) BC_FMA(1) BC_FMA(2) BC_FMA(3)
    }
    BC_PUT(0) BC_PUT(1) BC_PUT(2) BC_PUT(3)
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

// mm_nt with K < NT_LANES_K: C[r][j] = Σ_k A[r][k] · Wᵀ[k][j], 64 columns at a time through
// a copy of Wᵀ on the stack (K·64 floats; the copy is 1/B of the work).
static void nt_chain(int B, int N, int K, const float *A, long lda, const float *W, long ldw, float *C, long ldc) {
    float T[NT_LANES_K * 64];
    for (int j0 = 0; j0 < N; j0 += 64) {
        int jn = N - j0 < 64 ? N - j0 : 64;
        for (int j = 0; j < jn; j++)
            for (int k = 0; k < K; k++) T[k * 64 + j] = W[(j0 + j) * ldw + k];
        bc(B, K, jn, A, lda, 1, T, 64, C + j0, ldc);
    }
}

void mm_nt(int B, int N, int K, const float *A, int lda, const float *W, int ldw, float *C, int ldc) {
    if (K < NT_LANES_K) nt_chain(B, N, K, A, lda, W, ldw, C, ldc);
    else nt_lanes(B, N, K, A, lda, W, ldw, C, ldc);
}

void mm_tn(int B, int N, int K, const float *D, int ldd, const float *A, int lda, float *C, int ldc) {
    bc(N, B, K, D, 1, ldd, A, lda, C, ldc);
}

void mm_nn(int B, int N, int K, const float *D, int ldd, const float *W, int ldw, float *C, int ldc) {
    bc(B, N, K, D, ldd, 1, W, ldw, C, ldc);
}

// Measured by bench/mm_small against 1-thread OpenBLAS (AMD Zen 4, 2026-12-02), a layer's three
// products together: as fast or faster (to 1.4×) for B 32…512 while W fits in L2 with room to
// spare (784→8…256; 512→512 ties); from 784→1024 on, no cache blocking here, and rows 4 KiB
// apart (in = 1024) fall in the same L1 sets: OpenBLAS, which packs, is faster.
int mm_prefer(int B, int in, int out) { (void)B; return (long)in * out <= 784L * 256; }

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
