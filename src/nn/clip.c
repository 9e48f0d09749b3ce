#include "nn/clip.h"

#include <math.h>

float grad_clip_global_norm(float *g, size_t n, float max_norm) {
    double ss = 0.0;   // summed in double: P can reach 10^7 and more
    for (size_t i = 0; i < n; i++) ss += (double)g[i] * g[i];
    float norm = (float)sqrt(ss);
    float coef = max_norm / (norm + 1e-6f);
    if (coef < 1.0f)
        for (size_t i = 0; i < n; i++) g[i] *= coef;
    return norm;
}
