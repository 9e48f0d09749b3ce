// Wall time for durations: seconds on the monotonic clock (never steps back when
// the system clock is set), from an arbitrary origin; only differences mean anything.
#pragma once

double clock_now_s(void);
