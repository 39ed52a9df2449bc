// Package atomicfile replaces files so that a crash never shows a reader a
// partial one: at every moment, including after a kill or a power loss,
// dir/name is either the old file (or absent) or the complete new file.
//
// The content goes to a temporary file in the same directory, named
// TempPrefix + name + "-" + random digits. When it is complete the
// temporary file is flushed and fsynced — so that its data is on disk
// before any name points at it — closed, and renamed over name, which is
// atomic within a directory. Last the directory is fsynced, so that the
// rename itself survives a power loss. On any error before the rename the
// temporary file is removed and an older dir/name stays untouched.
//
// Temporary names start with a dot, so readers that skip hidden files
// (DuckDB, Spark, Hive) never see them. A process killed mid-write can
// leave one behind; IsTemp recognises such leftovers for cleanup.
//
// The package does not create directories: callers choose their mode.
// It imports nothing from this module, so every package can use it.
package atomicfile
