package roster

// ClientRef names a client of an organization by uid or by external_id.
type ClientRef struct {
	UID        string
	ExternalID string
}
