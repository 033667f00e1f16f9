package auth

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"roster"
)

// cheap keeps the tests fast under -race; the params are read from the hash.
var cheap = PasswordParams{Time: 1, MemoryKiB: 1024, Threads: 1}

func TestPasswordRoundTrip(t *testing.T) {
	h, err := HashPassword("correct horse battery", DefaultPasswordParams)
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "$argon2id$v=19$m=19456,t=2,p=1$"
	if !strings.HasPrefix(h, prefix) {
		t.Fatalf("hash %q does not start with %q", h, prefix)
	}
	salt, key, _ := strings.Cut(strings.TrimPrefix(h, prefix), "$")
	if b, err := base64.RawStdEncoding.DecodeString(salt); err != nil || len(b) != 16 {
		t.Errorf("salt %q: %d bytes, %v; want 16", salt, len(b), err)
	}
	if b, err := base64.RawStdEncoding.DecodeString(key); err != nil || len(b) != 32 {
		t.Errorf("key %q: %d bytes, %v; want 32", key, len(b), err)
	}
	if ok, err := VerifyPassword(h, "correct horse battery"); !ok || err != nil {
		t.Fatalf("right password: %v, %v", ok, err)
	}
	if ok, err := VerifyPassword(h, "correct horse batterz"); ok || err != nil {
		t.Fatalf("wrong password: %v, %v", ok, err)
	}
}

func TestPasswordSalted(t *testing.T) {
	h1, err1 := HashPassword("same password", cheap)
	h2, err2 := HashPassword("same password", cheap)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if h1 == h2 {
		t.Fatalf("two hashes of one password are equal: %q", h1)
	}
	for _, h := range []string{h1, h2} {
		if ok, err := VerifyPassword(h, "same password"); !ok || err != nil {
			t.Errorf("VerifyPassword(%q) = %v, %v", h, ok, err)
		}
	}
}

func TestPasswordParamsFromHash(t *testing.T) {
	h, err := HashPassword("cheap password", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash %q does not carry the cheap params", h)
	}
	if ok, err := VerifyPassword(h, "cheap password"); !ok || err != nil {
		t.Fatalf("VerifyPassword = %v, %v", ok, err)
	}
	// The same salt and key under other params no longer match, so the
	// params are the ones read from the string.
	other := strings.Replace(h, "t=1", "t=2", 1)
	if ok, err := VerifyPassword(other, "cheap password"); ok || err != nil {
		t.Fatalf("VerifyPassword with t=2 = %v, %v; want false, nil", ok, err)
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	h, err := HashPassword("some password", cheap)
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Split(h, "$")
	join := func(i int, v string) string {
		g := append([]string(nil), f...)
		g[i] = v
		return strings.Join(g, "$")
	}
	bad := []string{
		"",
		"plain text",
		h + "$",
		strings.TrimPrefix(h, "$"),
		join(1, "argon2i"),
		join(2, "v=16"),
		join(3, "m=1024,t=1"),
		join(3, "m=1024,t=1,p=1,x=2"),
		join(3, "t=1,m=1024,p=1"),
		join(3, "m=-1,t=1,p=1"),
		join(3, "m=+1024,t=1,p=1"),
		join(3, "m=,t=1,p=1"),
		join(3, "m=1024,t=0,p=1"),
		join(3, "m=1024,t=101,p=1"),
		join(3, "m=1048577,t=1,p=1"),    // over 1 GiB
		join(3, "m=4294967296,t=1,p=1"), // over uint32
		join(3, "m=1024,t=1,p=0"),
		join(3, "m=1024,t=1,p=256"),
		join(3, "m=8,t=1,p=2"), // under 8 KiB per thread
		join(4, "!!!!"),
		join(4, f[4]+"="),
		join(4, "c2FsdA"), // 4 bytes
		join(5, ""),
		join(5, f[5][:20]), // 15 bytes
	}
	for _, s := range bad {
		if ok, err := VerifyPassword(s, "some password"); ok || err == nil {
			t.Errorf("VerifyPassword(%q) = %v, %v; want an error", s, ok, err)
		}
	}
}

func TestPasswordLengthBounds(t *testing.T) {
	long := strings.Repeat("a", 257)
	if _, err := HashPassword(long, cheap); roster.KindOf(err) != roster.KindInvalid {
		t.Fatalf("HashPassword of 257 bytes: %v", err)
	}
	h, err := HashPassword(long[:256], cheap)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := VerifyPassword(h, long[:256]); !ok || err != nil {
		t.Fatalf("256 bytes: %v, %v", ok, err)
	}
	if ok, err := VerifyPassword(h, long); ok || err != nil {
		t.Fatalf("257 bytes: %v, %v; want false, nil", ok, err)
	}
}

func TestHashPasswordRejectsParams(t *testing.T) {
	for _, p := range []PasswordParams{
		{Time: 0, MemoryKiB: 1024, Threads: 1},
		{Time: 1, MemoryKiB: 1024, Threads: 0},
		{Time: 1, MemoryKiB: 4, Threads: 1},
		{Time: 1, MemoryKiB: 1<<20 + 1, Threads: 1},
		{Time: 101, MemoryKiB: 1024, Threads: 1},
	} {
		if h, err := HashPassword("some password", p); err == nil {
			t.Errorf("HashPassword with %+v = %q", p, h)
		}
	}
}

func TestCheckNewPassword(t *testing.T) {
	const (
		tooShort = "password: must be at least 8 characters"
		tooLong  = "password: must be at most 256 bytes"
		common   = "password: is one of the most common passwords, which attackers try first; choose a less predictable one, such as a few unrelated words"
		hasEmail = "password: must not contain your email address or the part before its @; choose one unrelated to it"
		hasName  = "password: must not contain your name; choose one unrelated to it"
	)
	const email, name = "kate.smith@example.com", "Kate Smith"
	tests := []struct {
		password, email, name string
		want                  string // the error message, "" for none
	}{
		// Length, counted in characters below and in bytes above.
		{"", "", "", tooShort},
		{"1234567", "", "", tooShort}, // common too, but too short first
		{"ééé", "", "", tooShort},     // 6 bytes, 3 characters
		{"éééééééé", "", "", ""},      // 8 characters in 16 bytes
		{strings.Repeat("a", 256), "", "", ""},
		{strings.Repeat("a", 257), "", "", tooLong},
		{strings.Repeat("é", 129), "", "", tooLong}, // 129 characters, 258 bytes

		// The list, in any letter case or width, from its top (password1 is
		// the 307th most common, iloveyou the 50th) to its end (0987654a is
		// the 99,808th, 12345love the 99,445th) but not beyond (06071987a is
		// the 100,044th).
		{"password1", email, name, common},
		{"Password1", email, name, common},
		{"PASSWORD1", email, name, common},
		{"pAsSwOrD1", email, name, common},
		{"ＰＡＳＳＷＯＲＤ１", email, name, common}, // fullwidth
		{"ILoveYou", "", "", common},
		{"\u212Aatherine", "", "", common}, // Kelvin sign
		{"0987654A", "", "", common},
		{"12345Love", "", "", common},
		{"06071987a", "", "", ""},
		{"vR7#qLp2!xZw9@mTb4", email, name, ""},
		{"correct horse battery staple", email, name, ""},

		// The email and its local part, in any letter case.
		{"kate.smith2024!", email, name, hasEmail},
		{"KATE.SMITH-rocks", email, name, hasEmail},
		{"mail me at Kate.Smith@Example.com", email, name, hasEmail},
		{"kate.smitten-4ever", email, name, ""},
		{"jo rocks forever", "jo@ex.io", "", ""}, // a local part too short to refuse
		{"jo@ex.io forever", "jo@ex.io", "", hasEmail},

		// The name, in any letter case and with or without its spaces.
		{"KateSmith#2024", "k@example.com", name, hasName},
		{"kate smith rules", "k@example.com", name, hasName},
		{"k a t e s m i t h !", "k@example.com", name, hasName},
		{"Ｋａｔｅ Ｓｍｉｔｈ 4ever", "k@example.com", name, hasName},
		{"JÖRG MÜLLER 1999", "", "Jörg Müller", hasName},
		{"STRASSE-forever", "", "Straße", hasName}, // ß folds to ss
		{"Al is my pal 99", "", "Al", ""},          // a name too short to refuse
		{"Kate's own secret", "", "", ""},          // no name given
	}
	for _, tt := range tests {
		err := CheckNewPassword(tt.password, tt.email, tt.name)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckNewPassword(%q, %q, %q) = %v", tt.password, tt.email, tt.name, err)
		case tt.want != "" && (err == nil || err.Error() != tt.want || roster.KindOf(err) != roster.KindInvalid):
			t.Errorf("CheckNewPassword(%q, %q, %q) = %v; want invalid %q", tt.password, tt.email, tt.name, err, tt.want)
		}
	}
}

func BenchmarkCheckNewPassword(b *testing.B) {
	for b.Loop() {
		if CheckNewPassword("vR7#qLp2!xZw9@mTb4", "kate.smith@example.com", "Kate Smith") != nil {
			b.Fatal("refused")
		}
	}
}

func TestVerifyAbsent(t *testing.T) {
	for _, want := range []PasswordParams{DefaultPasswordParams, cheap} {
		h := absentHash(want)
		p, _, key, err := decodeHash(h)
		if err != nil || p != want || len(key) != 32 {
			t.Fatalf("absent hash %q: %+v, %d-byte key, %v; want %+v", h, p, len(key), err, want)
		}
		if ok, err := VerifyPassword(h, ""); ok || err != nil {
			t.Fatalf("the absent hash matched: %v, %v", ok, err)
		}
		VerifyAbsent("anything at all", want)
	}
}

func TestHashingWaitsForASlot(t *testing.T) {
	for range cap(hashSlots) {
		hashSlots <- struct{}{}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := HashPassword("some password", cheap); err != nil {
			t.Error(err)
		}
	}()
	select {
	case <-done:
		t.Fatal("hashed with every slot taken")
	case <-time.After(100 * time.Millisecond):
	}
	<-hashSlots
	<-done
	for range cap(hashSlots) - 1 {
		<-hashSlots
	}
}
