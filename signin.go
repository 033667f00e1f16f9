package roster

import "time"

// ErrWrongCredentials answers every failed sign-in alike, so that it does
// not tell which emails have accounts.
var ErrWrongCredentials = Errorf(KindUnauthorized, "wrong email or password")

// ErrDeactivated refuses a deactivated account, on sign-in and after.
var ErrDeactivated = Errorf(KindUnauthorized, "this account is deactivated")

// SignInSession is a new sign-in session to store.
type SignInSession struct {
	UID         string
	AccountUID  string
	RefreshHash []byte
	ExpiresAt   time.Time
	RemoteAddr  string
	UserAgent   string
}
