// The byte-level text corpus for language models: loading, the train/validation/test
// split, each member's D training tokens, its batches, and the evaluation windows.
//
// Tokens are bytes (vocabulary 256): no tokenizer, no normalisation, every byte of
// the input is a token.
//
// Loading. `path` is
//   - a file: plain text, or gzip / dictzip (.gz, .dz; zlib's gzread reads both, and
//     plain files too — compression is recognised by content, not by name); or
//   - a folder: its regular files (not hidden ones, not subfolders), each read as
//     above, in byte order of their names (strcmp), so the corpus never depends on the
//     order the file system lists them or on the locale.
// Documents: in a folder, each file is a document. A single file is divided at empty
// lines: a document is a paragraph together with the empty line(s) that follow it.
// For Debian's dict-gcide (/usr/share/dictd/gcide.dict.dz, 40 MB of text) that makes
// each dictionary entry, and each numbered sense or note of an entry, a document
// (about 250 000 of them, 160 bytes on average).
//
// The split (fixed across seeds: it depends on the corpus and the TextSplit only).
// Split units are the documents, except that a document longer than `split.block`
// bytes is cut into contiguous blocks of that size (the last one shorter): a corpus
// that is one undivided text, or a few long files, still splits finely. The units are
// shuffled by a fixed permutation (seed 0, RNG_STREAM_TEXT_SPLIT); validation takes
// units from its front until it holds at least its target bytes, test the next ones
// likewise, and training the rest. Each part is then the concatenation of its units
// in corpus order (so it reads as the text does). Targets: `val_bytes` / `test_bytes`
// when > 0, else the fraction of the corpus's bytes (rounded up).
//
// A member's training data: the training part is cut into chunks of TEXT_CHUNK bytes
// (the last one shorter); a permutation of the chunks drawn from data_seed
// (RNG_STREAM_TEXT_SUBSET) orders them, and the member's stream is their
// concatenation in that order, cut at D bytes. A smaller D with the same data_seed is
// therefore a prefix of a larger D's stream (nested), and the subset does not depend
// on the context length (every model size of a sweep sees the same D tokens).
//
// Batches: the member's stream is tiled by n_windows = (D − 1) / context windows of
// context + 1 tokens, window w starting at w·context (consecutive windows share one
// token, so each byte after the first is a target once per epoch; the last
// (D − 1) mod context bytes are never targets). As in data/sampler.h, epoch e is a
// permutation of the windows (seed data_seed, stream RNG_STREAM_TEXT_ORDER + e·2^32)
// and step s takes positions [s·B, (s+1)·B) of the concatenated epochs. Step s's batch
// is a pure function of (corpus, split, D, context, data_seed, s, B): a run resumed at
// step s gets exactly the batches the uninterrupted run got. Windows can span a join
// between two chunks or two documents, as when documents are concatenated for GPT
// training; at most a context/TEXT_CHUNK share of windows do.
//
// Evaluation: validation and test are tiled the same way, window k = part[k·context,
// k·context + context + 1), fixed and in order: every byte after the first is
// predicted once, for any seed.
#pragma once
#include <stdint.h>

#define TEXT_CHUNK 4096             // bytes: the unit of a member's training subset
#define TEXT_SPLIT_BLOCK 65536      // default split.block
#define TEXT_MAX_FILES 1000000      // a folder of more files is refused

typedef enum { TEXT_TRAIN = 0, TEXT_VAL = 1, TEXT_TEST = 2 } TextPart;

typedef struct {
    double val_fraction, test_fraction;   // of the corpus's bytes, used when the byte count is 0
    long val_bytes, test_bytes;           // when > 0: the target size itself
    long block;                           // split units longer than this are cut into blocks
} TextSplit;

// val and test 1% each, blocks of TEXT_SPLIT_BLOCK.
TextSplit text_split_default(void);

typedef struct {
    char *path;
    long n_files;            // files read (1 for a file)
    long n_bytes;            // the whole corpus
    long n_documents;        // documents (see above)
    long n_units;            // split units (documents, long ones cut into blocks)
    uint8_t *part[3];        // [TEXT_TRAIN], [TEXT_VAL], [TEXT_TEST]: the parts' bytes
    long part_bytes[3];
    long part_units[3];
} TextCorpus;

// Reads and splits the corpus. Fails (jp_fail, naming the path) for a missing or
// unreadable path, a corrupt or truncated gzip file, a folder without files, an empty
// corpus, a split that is invalid or leaves any part empty.
int text_corpus_load(const char *path, const TextSplit *split, TextCorpus *c);
void text_corpus_free(TextCorpus *c);

typedef struct {
    const TextCorpus *corpus;   // not owned: outlives the member
    uint64_t data_seed;
    long D;                     // training tokens
    int context;
    long n_segments;            // chunks the stream is made of
    long *seg_start;            // [n_segments] where each lies in the training part
    long *seg_pos;              // [n_segments + 1] where each begins in the stream; seg_pos[n] = D
    long n_windows;             // (D − 1) / context
    uint32_t *order;            // [n_windows] the current epoch's permutation of windows
    long epoch;                 // epoch `order` was made for, −1 before the first
} TextMember;

// A member's D tokens and window order. Fails when D is not in [context + 1, training
// bytes], context < 1, or the windows would be more than 2^32 − 1.
int text_member_init(const TextCorpus *c, long D, int context, uint64_t data_seed, TextMember *m);
void text_member_free(TextMember *m);
// out[n] = the member's stream [pos, pos + n), which must lie in [0, D).
void text_member_read(const TextMember *m, long pos, long n, uint8_t *out);
// tokens[B][context + 1] = the windows of batch `step` (0-based). Not const: it caches the
// current epoch's permutation (remade when a step falls in another epoch, so steps may be
// asked in any order); one member per thread.
void text_batch(TextMember *m, long step, int B, uint8_t *tokens);

// Windows of context + 1 tokens that tile `which` (TEXT_VAL or TEXT_TEST; TEXT_TRAIN
// too), or −1 (jp_fail, naming the path) when the part is shorter than context + 1.
long text_eval_count(const TextCorpus *c, TextPart which, int context);
// tokens[n][context + 1] = windows first .. first + n − 1 of `which` (in range).
void text_eval_windows(const TextCorpus *c, TextPart which, int context, long first, long n, uint8_t *tokens);
