package roster

import "time"

// Sign-in throttling: after freeAccountFailures failed sign-ins to one
// account (or freeAddressFailures from one address) each further failure
// doubles the wait before the next try, up to maxThrottle. Failures older
// than throttleWindow are forgotten.
const (
	freeAccountFailures = 5
	freeAddressFailures = 20
	maxThrottle         = 15 * time.Minute
	ThrottleWindow      = time.Hour
)

// ThrottleDelay is how long sign-in stays blocked after the given number of
// recent failures for an account (perAddress false) or an address.
func ThrottleDelay(failures int, perAddress bool) time.Duration {
	free := freeAccountFailures
	if perAddress {
		free = freeAddressFailures
	}
	if failures < free {
		return 0
	}
	if n := failures - free; n < 10 {
		return min(time.Second<<n, maxThrottle)
	}
	return maxThrottle
}

// ThrottleKey is what failed sign-ins are counted against, an account or an
// address, and whether it is an address.
type ThrottleKey struct {
	Key        string
	PerAddress bool
}
