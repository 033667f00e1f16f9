package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"roster"
)

// PasswordParams are argon2id's costs. They are stored in each hash, so
// changing them affects only new hashes.
type PasswordParams struct {
	Time      uint32 // passes over the memory
	MemoryKiB uint32
	Threads   uint8
}

// DefaultPasswordParams are OWASP's argon2id recommendation. Its 19 MiB per
// hash, rather than RFC 9106's gigabytes, keeps the memory that concurrent
// sign-ins need within what a small server has.
var DefaultPasswordParams = PasswordParams{Time: 2, MemoryKiB: 19 * 1024, Threads: 1}

const (
	passwordMinRunes = 8
	// argon2 hashes any length, but a bound keeps a request from making
	// every sign-in hash megabytes.
	passwordMaxBytes = 256

	saltLen = 16
	keyLen  = 32

	// Bounds on the params read from a stored hash, so that a corrupt or
	// planted hash cannot make one verification take gigabytes or minutes.
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxTime      = 100
	maxThreads   = 64
)

// hashSlots bounds concurrent hashing to one per processor: more would not
// finish sooner, and each one holds MemoryKiB, so a sign-in storm queues
// instead of needing GOMAXPROCS × memory many times over.
var hashSlots = make(chan struct{}, runtime.GOMAXPROCS(0))

func deriveKey(password string, salt []byte, p PasswordParams, n uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, n)
}

func (p PasswordParams) check() error {
	switch {
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("argon2id: time %d is outside 1..%d", p.Time, maxTime)
	case p.Threads < 1 || p.Threads > maxThreads:
		return fmt.Errorf("argon2id: threads %d is outside 1..%d", p.Threads, maxThreads)
	case p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxMemoryKiB:
		// argon2 needs 8 KiB per thread.
		return fmt.Errorf("argon2id: memory %d KiB is outside %d..%d", p.MemoryKiB, 8*uint32(p.Threads), maxMemoryKiB)
	}
	return nil
}

// CheckNewPassword enforces the rules for a new password of the account
// with this email and display name (either may be empty where unknown): 8
// characters to 256 bytes, not one of the passwords that attackers try
// first, and nothing that someone who knows the person would try first.
func CheckNewPassword(password, email, displayName string) error {
	if err := checkPasswordLength(password); err != nil {
		return err
	}
	folded := fold(password)
	if isCommonPassword(folded) {
		return roster.Errorf(roster.KindInvalid,
			"password: is one of the most common passwords, which attackers try first; choose a less predictable one, such as a few unrelated words")
	}
	return checkPersonalWords(folded, email, displayName)
}

func checkPasswordLength(password string) error {
	if utf8.RuneCountInString(password) < passwordMinRunes {
		return roster.Errorf(roster.KindInvalid, "password: must be at least %d characters", passwordMinRunes)
	}
	if len(password) > passwordMaxBytes {
		return roster.Errorf(roster.KindInvalid, "password: must be at most %d bytes", passwordMaxBytes)
	}
	return nil
}

// minPersonalRunes is the shortest email local part or name that a password
// may not contain: shorter ones ("jo") are in too many good passwords.
const minPersonalRunes = 3

// checkPersonalWords refuses a folded password that contains the email, its
// local part or the display name, the first guesses of anyone who knows
// whose account it is. Spaces do not count in names, so "Kate Smith" is
// also "katesmith".
func checkPersonalWords(folded, email, displayName string) error {
	email = fold(email)
	local := email[:max(0, strings.LastIndexByte(email, '@'))]
	if containsWord(folded, email, 1) || containsWord(folded, local, minPersonalRunes) {
		return roster.Errorf(roster.KindInvalid,
			"password: must not contain your email address or the part before its @; choose one unrelated to it")
	}
	name := withoutSpaces(fold(displayName))
	if containsWord(withoutSpaces(folded), name, minPersonalRunes) {
		return roster.Errorf(roster.KindInvalid,
			"password: must not contain your name; choose one unrelated to it")
	}
	return nil
}

// containsWord reports whether s contains word, a word of at least minRunes.
func containsWord(s, word string, minRunes int) bool {
	return utf8.RuneCountInString(word) >= minRunes && strings.Contains(s, word)
}

// fold is the form in which passwords are compared with the list and with
// the person's email and name: NFKC, then Unicode case folding, so that
// "ＰａｓｓＷｏｒｄ１" is "password1" and a Kelvin sign is a "k".
func fold(s string) string {
	// A Caser keeps state, so each call needs its own.
	return cases.Fold().String(norm.NFKC.String(s))
}

func withoutSpaces(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// HashPassword returns the password's argon2id hash in the PHC string
// format, which carries the params and salt with it.
func HashPassword(password string, p PasswordParams) (string, error) {
	if len(password) > passwordMaxBytes {
		return "", roster.Errorf(roster.KindInvalid, "password: must be at most %d bytes", passwordMaxBytes)
	}
	if err := p.check(); err != nil {
		return "", err
	}
	salt := make([]byte, saltLen)
	rand.Read(salt)
	return encodeHash(p, salt, deriveKey(password, salt, p, keyLen)), nil
}

func encodeHash(p PasswordParams, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// VerifyPassword reports whether password matches the encoded hash. An error
// means the stored hash is unusable, which is Roster's fault, not the
// caller's.
func VerifyPassword(encoded, password string) (bool, error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	if len(password) > passwordMaxBytes {
		return false, nil // no hash was made from it
	}
	got := deriveKey(password, salt, p, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

func decodeHash(encoded string) (p PasswordParams, salt, key []byte, err error) {
	fail := func(why string) (PasswordParams, []byte, []byte, error) {
		return PasswordParams{}, nil, nil, fmt.Errorf("password hash: %s", why)
	}
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, key
	f := strings.Split(encoded, "$")
	if len(f) != 6 || f[0] != "" || f[1] != "argon2id" {
		return fail("not an argon2id PHC string")
	}
	if f[2] != "v="+strconv.Itoa(argon2.Version) {
		return fail("unsupported version " + strconv.Quote(f[2]))
	}
	params := strings.Split(f[3], ",")
	if len(params) != 3 {
		return fail("malformed params")
	}
	m, errM := paramValue(params[0], "m=", 32)
	t, errT := paramValue(params[1], "t=", 32)
	th, errP := paramValue(params[2], "p=", 8)
	if errM != nil || errT != nil || errP != nil {
		return fail("malformed params")
	}
	p = PasswordParams{Time: uint32(t), MemoryKiB: uint32(m), Threads: uint8(th)}
	if err := p.check(); err != nil {
		return PasswordParams{}, nil, nil, fmt.Errorf("password hash: %w", err)
	}
	// Strict rejects non-canonical encodings, so one hash has one spelling.
	b64 := base64.RawStdEncoding.Strict()
	salt, errS := b64.DecodeString(f[4])
	key, errK := b64.DecodeString(f[5])
	if errS != nil || errK != nil {
		return fail("malformed base64")
	}
	if len(salt) < 8 || len(salt) > 64 || len(key) < 16 || len(key) > 64 {
		return fail("salt or key of an unexpected length")
	}
	return p, salt, key, nil
}

// paramValue parses "m=19456" and the like; only plain decimal digits.
func paramValue(s, prefix string, bits int) (uint64, error) {
	digits, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseUint(digits, 10, bits)
}

// absentHash is a hash with the params p that no password matches (its key
// is random), made without hashing anything.
func absentHash(p PasswordParams) string {
	salt, key := make([]byte, saltLen), make([]byte, keyLen)
	rand.Read(salt)
	rand.Read(key)
	return encodeHash(p, salt, key)
}

// VerifyAbsent spends the time of verifying a password hashed with p, the
// params that new passwords get, when no account has the email, so that
// how long a sign-in takes does not tell which emails have accounts.
func VerifyAbsent(password string, p PasswordParams) {
	// The hash is well-formed, so there is no error; and nothing matches it.
	_, _ = VerifyPassword(absentHash(p), password)
}
