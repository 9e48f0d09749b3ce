// A user's --where: one read-only condition, spliced into a query of the store.
// Every analysis that takes --where (fit, dist, and the report's views) prepares
// its query here, so the same rules hold everywhere:
//   - the text is one expression: its parentheses balance and never close more
//     than they opened, no ';', no unterminated quote or comment (so it cannot
//     end the condition early, e.g. "1) OR (1", or start a second statement);
//   - the prepared statement is the whole text (nothing after it, via pzTail),
//     read-only (sqlite3_stmt_readonly), and while it is prepared an authorizer
//     denies every action but SELECT, READ and FUNCTION (no ATTACH, PRAGMA,
//     writes, or temporary objects).
#pragma once
#include <sqlite3.h>

// Prepares head + " AND (where)" + tail on h (just head + tail when where is NULL).
// Returns 0, or −1 with the reason in jp_error() (base/error.h), naming the --where when it
// is at fault.
int where_prepare(sqlite3 *h, const char *head, const char *where, const char *tail, sqlite3_stmt **st);

// The lexical check alone (the first rule above): 0, or −1 with the reason in jp_error().
int where_check(const char *where);
