package roster

import (
	"strings"
)

// ClientOrder is what a client list is sorted by. Ties are broken by uid,
// in the same direction, so that pages never overlap or skip.
type ClientOrder string

// The orders of the list endpoint (FitTrackee's order_by).
const (
	OrderCreatedAt     ClientOrder = "created_at" // uid order, which is creation order
	OrderDisplayName   ClientOrder = "display_name"
	OrderEmail         ClientOrder = "email"
	OrderLastSession   ClientOrder = "last_session" // clients without a session come last either way
	OrderSessionsCount ClientOrder = "sessions_count"
)

// ClientOrders lists every order, in the order the API documents them.
var ClientOrders = []ClientOrder{OrderCreatedAt, OrderDisplayName, OrderEmail, OrderLastSession, OrderSessionsCount}

// AscendingByDefault reports whether o runs ascending when no direction is
// asked for: names and emails alphabetically, and the rest newest, latest
// or busiest first.
func (o ClientOrder) AscendingByDefault() bool {
	return o == OrderDisplayName || o == OrderEmail
}

// ClientQuery selects and sorts clients for the list endpoint and the
// console's list. The zero value lists the active clients, newest first.
type ClientQuery struct {
	ClientFilter             // the filter endpoint's filters, which the console's list adds to a search
	Search       string      // a substring of the display name or of the email, folded (SearchKey)
	Email        string      // exactly this email, by its key (EmailKey)
	Deactivated  bool        // the deactivated clients instead of the active ones
	OrderBy      ClientOrder // "" is OrderCreatedAt
	Ascending    bool
}

// MaxSearchLength caps a search string, in characters.
const MaxSearchLength = 100

// SearchCountMost is the most matches a search's total counts: a broad
// search (a first name among a million clients) would otherwise read every
// one of its tens of thousands of matches for each page. Beyond, the total
// says that at least this many match (FilterPage.CountCapped), as a search
// engine's "1,000+ results" does.
const SearchCountMost = 1000

// StaffFilter selects staff members for the staff lists. Zero values do not
// filter.
type StaffFilter struct {
	Search string // as in ClientQuery
	Email  string // as in ClientQuery
	Role   string // RoleOwner or RoleAdmin
}

// SearchKey is a search fragment folded as the stored keys are, for
// substring matching: Name against name keys (NameKey), Email against email
// keys (EmailKey). They differ only after an "@", which starts a domain:
// email keys hold domains in IDNA ASCII form, and so does Email, so that
// "@bücher.example" finds the addresses at xn--bcher-kva.example. A part of
// a Unicode domain without its "@" ("bücher") finds them only in that form
// ("xn--bcher").
type SearchKey struct{ Name, Email string }

// NewSearchKey folds a search fragment.
func NewSearchKey(fragment string) SearchKey {
	return SearchKey{Name: NameKey(fragment), Email: EmailKey(fragment)}
}

// SearchMatches reports whether a display name or an email contains search,
// folded: what the SQL of a client search does with name_key and email_key,
// for lists that match in Go.
func SearchMatches(search, displayName, email string) bool {
	k := NewSearchKey(search)
	return strings.Contains(NameKey(displayName), k.Name) || strings.Contains(EmailKey(email), k.Email)
}
