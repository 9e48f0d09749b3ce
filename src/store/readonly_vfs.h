// Read-only connections anywhere in the process read a WAL-mode database in a directory
// they cannot write (see readonly_vfs.c): call once, before any database is opened.
#pragma once

// Registers the pass-through VFS as SQLite's default; 0, or −1 (then nothing changed).
int store_readonly_vfs_register(void);
