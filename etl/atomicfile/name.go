package atomicfile

import "strings"

// TempPrefix starts the name of every temporary file: readers skip names
// starting with a dot, and cleanup code finds leftovers by this prefix.
const TempPrefix = ".tmp-"

// IsTemp reports whether the base name name is a temporary file — one this
// package writes (TempPrefix + final name + "-" + random) or any other
// file that follows the TempPrefix convention.
func IsTemp(name string) bool { return strings.HasPrefix(name, TempPrefix) }

// tempPattern is the os.CreateTemp pattern for a temporary file that will
// become name.
func tempPattern(name string) string { return TempPrefix + name + "-*" }
