package roster

import (
	"slices"
	"time"
	"unicode/utf8"
)

// Activities a client may prefer, exactly as the seeds spell them.
var Activities = []string{"Running", "Vertical Jump", "Weightlifting", "Mobility Assessment"}

// MaxNoteBytes caps a client's note (the seed's 100 kB).
const MaxNoteBytes = 100 * 1000

// Client is an athlete managed by an organization.
type Client struct {
	UID       string
	CreatedBy string // uid of the staff account that created the client
	ClientFields
	ProfilePhoto  string // blob key; empty when there is none
	Note          *Note  // nil when no note was ever saved
	LastSession   *time.Time
	SessionsCount int64
	DeactivatedAt *time.Time // nil while active
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Clone returns a copy of c that shares no memory with it: what a cache
// hands out, so that a caller who changes its copy changes nobody else's.
func (c Client) Clone() Client {
	for i := range Fields {
		switch p := Fields[i].Ref(&c.ClientFields).(type) {
		case **string:
			*p = clonePtr(*p)
		case **int64:
			*p = clonePtr(*p)
		case **float64:
			*p = clonePtr(*p)
		case *[]string:
			*p = slices.Clone(*p)
		}
	}
	if c.Note != nil {
		note := Note{Text: clonePtr(c.Note.Text), UpdatedAt: c.Note.UpdatedAt}
		c.Note = &note
	}
	c.LastSession, c.DeactivatedAt = clonePtr(c.LastSession), clonePtr(c.DeactivatedAt)
	return c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// NewClient is a new client with the fields given, created now by the
// staff account createdBy: what the API and the console both store.
func NewClient(createdBy string, fields ClientFields, now time.Time) Client {
	return Client{UID: NewUID(now), CreatedBy: createdBy, ClientFields: fields, CreatedAt: now, UpdatedAt: now}
}

// ParseNote checks a client's note as typed: at most MaxNoteBytes of
// UTF-8. An empty note clears it: nil.
func ParseNote(text string) (*string, error) { return ParseNoteField("note", text) }

// ParseNoteField is ParseNote for the note in the field named.
func ParseNoteField(field, text string) (*string, error) {
	if len(text) > MaxNoteBytes {
		return nil, Errorf(KindTooLarge, "%s: must be at most %d bytes", field, MaxNoteBytes)
	}
	if !utf8.ValidString(text) {
		return nil, Errorf(KindInvalid, "%s: must be valid UTF-8", field)
	}
	if text == "" {
		return nil, nil
	}
	return &text, nil
}

// Note is a client's single free-form note. A cleared note keeps its
// updated_at and has a nil Text.
type Note struct {
	Text      *string
	UpdatedAt time.Time
}

// ClientFields are the client attributes a caller may set, each described
// by its row of Fields. A nil pointer is an empty (null) value.
type ClientFields struct {
	Email                string
	DisplayName          string
	Phone                *string
	Age                  *int64
	Gender               *string
	Height               *float64
	Weight               *float64
	YCOM                 *float64
	LegLength            *float64
	ShoeSize             *float64
	Brand                *string
	ShoeModel            *string
	PreferableActivities []string
	ExternalID           *string // the integrator's own id, unique within the organization
	SessionsLimit        *int64  // cap on the linked account's simultaneous sign-in sessions
}

// MaxSessionsLimit is the largest sessions_limit, as in the Publica.la
// document.
const MaxSessionsLimit = 999999

// Present names the fields that have a value, for the audit log.
func (f ClientFields) Present() []string {
	names := make([]string, 0, len(Fields))
	for i := range Fields {
		if Fields[i].IsSet(&f) {
			names = append(names, Fields[i].Name)
		}
	}
	return names
}

// Changed names the fields an update sets, for the audit log.
func (u ClientUpdate) Changed() []string {
	names := make([]string, 0, len(Fields)+1)
	for i, spec := range Fields {
		if u.Set.Has(Field(i)) {
			names = append(names, spec.Name)
		}
	}
	if u.Photo != nil {
		names = append(names, "profile_photo")
	}
	return names
}

// ClientUpdate is a partial update: only the fields named in Set change.
type ClientUpdate struct {
	ClientFields
	Set   FieldSet
	Photo *string // a new photo's blob key, or nil to keep the photo
	// Active, unless nil, is the state the client is left in: a change of
	// it is a deactivation or reactivation made with the fields' change
	// (SCIM's PUT and PATCH), in the same transaction.
	Active *bool
}

// ClientFilter selects clients for a filter page. Zero values do not filter.
type ClientFilter struct {
	AdminUID string // created by
	CoachUID string // assigned to this coach
	// Scope is the coach the caller's scope limits them to: the store
	// sets it from the caller (store.AsStaff), never the request.
	Scope      string
	Gender     string
	Activities []string  // clients preferring any of these
	From, To   time.Time // last_session bounds: From inclusive, To exclusive
	Ranges     []Range   // each a different field of RangeFields, in that order
}

// IsZero reports whether f selects every client.
func (f ClientFilter) IsZero() bool {
	return f.AdminUID == "" && f.CoachUID == "" && f.Scope == "" && f.Gender == "" && len(f.Activities) == 0 &&
		f.From.IsZero() && f.To.IsZero() && len(f.Ranges) == 0
}

// Page is a keyset position in a list: by the client of a uid, which in
// the filter endpoint's list, newest first, is its uid itself.
type Page struct {
	After  string // the clients after this one in the list's order (older ones, newest first)
	Before string // the clients before it (newer ones)
	Limit  int
}

// FilterPage is one page of a filter query.
type FilterPage struct {
	Count       int64 // clients matching the filter, ignoring the cursor
	CountCapped bool  // a search's count stopped at SearchCountMost: more match
	Clients     []Client
}

// ErrClientNotFound answers for a client that does not exist and for one of
// another organization alike, so that neither can be told apart.
var ErrClientNotFound = Errorf(KindNotFound, "user not found or not under this organization")

// Note visibilities: a note the organization's staff see, or one only the
// client's coaches, the Owners and its author see.
const (
	NoteOrganization = "organization"
	NoteCoaches      = "coaches"
)

// ParseNoteVisibility validates a note's visibility, the visibility field;
// none is NoteOrganization.
func ParseNoteVisibility(v any) (string, error) {
	switch s, _ := v.(string); {
	case v == nil:
		return NoteOrganization, nil
	case s == NoteOrganization || s == NoteCoaches:
		return s, nil
	}
	return "", FieldErrorf("visibility", "must be %s or %s", NoteOrganization, NoteCoaches)
}

// NoteVersion is one saved version of a client's note.
type NoteVersion struct {
	UID        string
	AuthorUID  string
	Text       *string // nil: the note was cleared
	Visibility string
	CreatedAt  time.Time
}
