package roster

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"sync"
	"time"
)

// base62 in ASCII order, so that uids compare bytewise in time order.
const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// NewUID returns a 20-character uid shaped like the seeds' Firebase ids: 9
// characters of millisecond time, so that uids sort by creation and make a
// stable keyset order, then 11 random characters (65 bits). Within one
// process uids strictly increase: one made in the same millisecond as the
// last one (or with a clock that stepped back) is the last one plus one.
func NewUID(now time.Time) string {
	b := reserveUIDs(now, 1)
	return string(b[:])
}

// NewUIDs reserves n uids at once, as n calls of NewUID in a row would make
// them, and returns the i-th of them (from 0, increasing), so that a bulk
// import can hand them out in any order without holding them all. Every
// later uid of this process sorts after the whole block.
func NewUIDs(now time.Time, n int) func(i int) string {
	first := reserveUIDs(now, uint64(max(n, 1)))
	return func(i int) string {
		b := first
		add(b[9:], uint64(i))
		return string(b[:])
	}
}

// UIDAfter returns the uid that NewUID would make at now if last were the
// latest: a new uid of now, or last plus a random step when now is not
// past last's millisecond. It keeps a sequence apart from the process's own, such as
// one organization's in a migration that gives uids to old rows, where
// other organizations' rows must leave no trace.
func UIDAfter(now time.Time, last string) string {
	var l [20]byte
	copy(l[:], last)
	b := follow(uidOf(now), l)
	return string(b[:])
}

// reserveUIDs returns the first of n consecutive uids and records the last
// as the process's latest.
func reserveUIDs(now time.Time, n uint64) [20]byte {
	b := uidOf(now)
	lastUID.Lock()
	defer lastUID.Unlock()
	b = follow(b, lastUID.b)
	lastUID.b = b
	add(lastUID.b[9:], n-1)
	return b
}

// uidOf returns a new uid of now, whatever came before it.
func uidOf(now time.Time) [20]byte {
	var b [20]byte
	ms := uint64(now.UnixMilli())
	for i := 8; i >= 0; i-- {
		b[i] = base62[ms%62]
		ms /= 62
	}
	randomBase62(b[9:])
	return b
}

// follow returns b, or last plus a random step of 1 to 2³² when b's
// millisecond is not past last's, so that a sequence strictly increases.
// The step is random, not 1, so that the gap between two uids one caller
// got in one millisecond does not count the uids that others got between
// them: uids are shared by every organization of the process.
func follow(b, last [20]byte) [20]byte {
	if string(b[:9]) <= string(last[:9]) {
		b = last
		var step [4]byte
		rand.Read(step[:])
		add(b[9:], 1+uint64(binary.BigEndian.Uint32(step[:])))
	}
	return b
}

var lastUID struct {
	sync.Mutex
	b [20]byte
}

// add adds n to a base62 number; 11 random digits (65 bits) do not
// overflow in practice (n is at most an import's 100,000, or a step of
// 2³²), and if they did the uids would still be unique, only unordered.
func add(digits []byte, n uint64) {
	for i := len(digits) - 1; i >= 0 && n > 0; i-- {
		sum := uint64(strings.IndexByte(base62, digits[i])) + n
		digits[i] = base62[sum%62]
		n = sum / 62
	}
}

// NewSecret returns n random base62 characters (≈5.95 bits each).
func NewSecret(n int) string {
	b := make([]byte, n)
	randomBase62(b)
	return string(b)
}

func randomBase62(dst []byte) {
	// Rejection sampling keeps every character equally likely.
	buf := make([]byte, len(dst)*2)
	for i := 0; i < len(dst); {
		rand.Read(buf)
		for _, c := range buf {
			if c < 248 && i < len(dst) {
				dst[i] = base62[c%62]
				i++
			}
		}
	}
}

// IsNewUID reports whether s has the shape of a uid as NewUID makes them:
// 20 letters and digits. Keyset cursors that are compared with such uids
// (an audit entry's id) must have it.
func IsNewUID(s string) bool {
	if len(s) != 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

// ValidUID reports whether s could be a uid Roster issued; anything else is
// answered as not found without touching the database.
func ValidUID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
