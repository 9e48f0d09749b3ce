// Internal to src/store: the SQL that names a toy world.
#pragma once

// A toy world's identity as SQL on runs r: its world.* fields ('' for other tasks). The %% is a
// LIKE wildcard either way: one % once through a printf-style formatter, two (the same pattern) in plain SQL.
#define WORLD_SIGNATURE_SQL \
    "COALESCE((SELECT group_concat(key || '=' || value, ' ') FROM json_each(r.params) WHERE key LIKE 'world.%%'), '')"
