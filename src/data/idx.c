#include "data/idx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/error.h"
#include "base/xalloc.h"

#define IDX_MAX_ELEMENTS ((size_t)1 << 32)

static int read_exact(gzFile f, void *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        unsigned chunk = (unsigned)((n - got) > (1u << 30) ? (1u << 30) : (n - got));
        int r = gzread(f, (uint8_t *)buf + got, chunk);
        if (r <= 0) break;
        got += (size_t)r;
    }
    return got == n ? 0 : -1;
}

// Why a read fell short: zlib's own account when the gzip stream is damaged (a bad
// block, a CRC or length mismatch in the trailer: Z_DATA_ERROR; the stream cut
// off: Z_BUF_ERROR) or the system's when reading failed; NULL when the file is
// simply shorter than promised (a whole, valid stream or a plain file).
static const char *gz_damage(gzFile f, const char *path, char *buf, size_t len) {
    int code;
    const char *msg = gzerror(f, &code);
    // zlib prefixes its message with the path, which the caller names already
    size_t n = strlen(path);
    if (!strncmp(msg, path, n) && !strncmp(msg + n, ": ", 2)) msg += n + 2;
    if (code == Z_DATA_ERROR) snprintf(buf, len, "corrupt gzip data: %s", msg);
    else if (code == Z_BUF_ERROR) snprintf(buf, len, "corrupt gzip data: the compressed stream is cut short (%s)", msg);
    else if (code == Z_ERRNO) snprintf(buf, len, "read error: %s", strerror(errno));
    else if (code == Z_MEM_ERROR) snprintf(buf, len, "out of memory decompressing");
    else return NULL;
    return buf;
}

// The failed read's message: the damage when there is one, else `truncated`.
static int short_read(gzFile f, const char *path, const char *truncated) {
    char buf[256];
    const char *why = gz_damage(f, path, buf, sizeof buf);
    return why ? jp_fail("%s: %s", path, why) : jp_fail("%s: %s", path, truncated);
}

int idx_read(const char *path, int expect_ndim, IdxArray *out) {
    *out = (IdxArray){ 0 };
    gzFile f = gzopen(path, "rb");
    if (!f) return jp_fail("%s: cannot open: %s", path, strerror(errno ? errno : ENOENT));
    int rc = -1;
    uint8_t magic[4];
    if (read_exact(f, magic, 4) != 0) { short_read(f, path, "truncated: no IDX header"); goto done; }
    if (magic[0] != 0 || magic[1] != 0) {
        jp_fail("%s: not an IDX file (magic bytes %02x %02x, expected 00 00)", path, magic[0], magic[1]);
        goto done;
    }
    if (magic[2] != 0x08) {
        jp_fail("%s: IDX data type 0x%02x not supported (expected 0x08, unsigned byte)", path, magic[2]);
        goto done;
    }
    if (magic[3] != expect_ndim) {
        jp_fail("%s: IDX file has %d dimensions, expected %d", path, magic[3], expect_ndim);
        goto done;
    }
    out->ndim = expect_ndim;
    out->count = 1;
    for (int d = 0; d < expect_ndim; d++) {
        uint8_t b[4];
        if (read_exact(f, b, 4) != 0) { short_read(f, path, "truncated in the dimension sizes"); goto done; }
        out->dims[d] = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        if (out->dims[d] == 0) { jp_fail("%s: dimension %d has size 0", path, d); goto done; }
        out->count *= out->dims[d];
        if (out->count > IDX_MAX_ELEMENTS) { jp_fail("%s: implausibly large (over 2^32 elements)", path); goto done; }
    }
    // The buffer grows with the data actually read (doubling, from 1 MiB): a
    // 16-byte header promising 2^32 elements must not claim 4 GiB up front.
    size_t have = 0, cap = 0;
    while (have < out->count) {
        if (have == cap) {
            cap = cap ? 2 * cap : ((size_t)1 << 20);
            if (cap > out->count) cap = out->count;
            out->data = xrealloc(out->data, cap);
        }
        if (read_exact(f, out->data + have, cap - have) != 0) {
            char truncated[128];
            snprintf(truncated, sizeof truncated, "truncated: header promises %zu bytes of data", out->count);
            short_read(f, path, truncated);
            goto done;
        }
        have = cap;
    }
    // Reading on to the end also checks the gzip trailer (CRC-32 and length):
    // a damaged one fails here, with all the data already read.
    uint8_t extra;
    int more = gzread(f, &extra, 1);
    if (more > 0) { jp_fail("%s: trailing bytes after the %zu promised by the header", path, out->count); goto done; }
    if (more < 0) { short_read(f, path, "unreadable after the data"); goto done; }
    rc = 0;
done:
    gzclose(f);
    if (rc != 0) idx_free(out);
    return rc;
}

void idx_free(IdxArray *a) {
    free(a->data);
    *a = (IdxArray){ 0 };
}
