#include "nn/mm.h"

#include <math.h>

// Reference loops (sum over the inner index in order, fused multiply-add); nn/mm's
// vector kernels replace them.
void mm_nt(int B, int N, int K, const float *A, int lda, const float *W, int ldw, float *C, int ldc) {
    for (int r = 0; r < B; r++)
        for (int j = 0; j < N; j++) {
            float s = 0.0f;
            for (int k = 0; k < K; k++) s = fmaf(A[(long)r * lda + k], W[(long)j * ldw + k], s);
            C[(long)r * ldc + j] = s;
        }
}

void mm_tn(int B, int N, int K, const float *D, int ldd, const float *A, int lda, float *C, int ldc) {
    for (int j = 0; j < N; j++)
        for (int k = 0; k < K; k++) {
            float s = 0.0f;
            for (int r = 0; r < B; r++) s = fmaf(D[(long)r * ldd + j], A[(long)r * lda + k], s);
            C[(long)j * ldc + k] = s;
        }
}

void mm_nn(int B, int N, int K, const float *D, int ldd, const float *W, int ldw, float *C, int ldc) {
    for (int r = 0; r < B; r++)
        for (int k = 0; k < K; k++) {
            float s = 0.0f;
            for (int j = 0; j < N; j++) s = fmaf(D[(long)r * ldd + j], W[(long)j * ldw + k], s);
            C[(long)r * ldc + k] = s;
        }
}

int mm_prefer(int B, int in, int out) { (void)B; (void)in; (void)out; return 0; }
