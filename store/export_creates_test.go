package store

import (
	"context"

	"roster"
)

// NewCreate is a create for CreateTogether.
type NewCreate struct {
	Ctx context.Context
	Org roster.OrgID
	C   *roster.Client
}

// CreateTogether writes creates as one batch, as concurrent calls of
// CreateClient that arrive together would be, and returns each one's
// answer: tests reach the batch's paths without depending on timing.
func (s *Store) CreateTogether(creates ...NewCreate) []error {
	batch := make([]*createReq, len(creates))
	for i, c := range creates {
		batch[i] = &createReq{ctx: c.Ctx, org: c.Org, c: c.C, err: make(chan error, 1)}
	}
	s.creates.createBatch(batch)
	errs := make([]error, len(batch))
	for i, r := range batch {
		errs[i] = <-r.err
	}
	return errs
}
