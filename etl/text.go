package etl

import (
	"strings"
	"unicode/utf8"
)

// text splits a wire value into what the STRING column holds and what the
// companion *_raw column holds: valid UTF-8 goes to the string unchanged
// (raw nil); anything else goes to the string with invalid bytes replaced by
// U+FFFD, and to raw byte for byte.
func text(s string) (string, []byte) {
	if utf8.ValidString(s) {
		return s, nil
	}
	return strings.ToValidUTF8(s, "\uFFFD"), []byte(s)
}
