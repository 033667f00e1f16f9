package store

import (
	"context"
	"database/sql"
	"errors"
)

// photoNamed finds whether a client of an organization, both by uid, has a
// photo: through the organizations' and clients' uid indexes.
const photoNamed = `SELECT 1 FROM clients
WHERE org_id = (SELECT id FROM organizations WHERE uid = $1) AND uid = $2 AND profile_photo = $3`

// PhotoNamed reports whether the organization's client has the photo key,
// for the photo sweep to delete only blobs that no client names.
func (s *Store) PhotoNamed(ctx context.Context, orgUID, clientUID, key string) (bool, error) {
	var one int
	err := s.queryRow(ctx, photoNamed, orgUID, clientUID, key).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}
