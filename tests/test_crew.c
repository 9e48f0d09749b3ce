// The crew (base/crew.h): every item of every round runs exactly once, whatever the thread count,
// and a round returns only when all its items are done.
#include "testutil.h"

#include <stdatomic.h>
#include <string.h>

#include "base/crew.h"

typedef struct { atomic_int count[1000]; atomic_int total; } Tally;

static void tally_item(void *ctx, int i) {
    Tally *t = ctx;
    atomic_fetch_add(&t->count[i], 1);
    atomic_fetch_add(&t->total, 1);
}

static void test_every_item_once(void **state) {
    (void)state;
    static Tally tally;
    for (int threads = 1; threads <= 4; threads++) {
        Crew c;
        crew_start(&c, threads);
        for (int round = 0; round < 50; round++) {
            int n = (round * 37) % 1000;   // 0 items included
            memset(&tally, 0, sizeof tally);
            crew_run(&c, n, tally_item, &tally);
            assert_int_equal(atomic_load(&tally.total), n);   // all done when crew_run returns
            for (int i = 0; i < 1000; i++) assert_int_equal(atomic_load(&tally.count[i]), i < n ? 1 : 0);
        }
        crew_stop(&c);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_every_item_once) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
