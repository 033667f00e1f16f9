package console

import (
	"net/http"

	"roster"
	"roster/api"
	"roster/auth"
)

// The API keys page is the API's /auth/api-keys for a person: their own
// keys, made, listed and revoked through the same store calls, under the
// same permission (the guard in routes), so that the console keeps no rule
// of its own about keys.

// keysData is what the API keys page shows.
type keysData struct {
	Keys    []keyRow
	Name    string // the name typed, kept when it was refused
	Error   string
	Created *keyRow // the key just made, shown with its secret this once
	Secret  string
	Message string
}

// keyRow is one key of the list.
type keyRow struct {
	KeyID, Name, Created, LastUsed string
}

// keyMessages are what the page says after a change, by the word the
// change's redirect carries.
var keyMessages = map[string]string{"revoked": "API key revoked."}

func keyRows(keys []roster.APIKeyInfo) []keyRow {
	out := make([]keyRow, len(keys))
	for i, k := range keys {
		out[i] = newKeyRow(k)
	}
	return out
}

func newKeyRow(k roster.APIKeyInfo) keyRow {
	used := "never"
	if k.LastUsedAt != nil {
		used = when(k.LastUsedAt)
	}
	return keyRow{KeyID: k.KeyID, Name: k.Name, Created: when(&k.CreatedAt), LastUsed: used}
}

func (c *Console) apiKeyList(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.showKeys(w, r, s, keysData{Message: keyMessages[r.URL.Query().Get("done")]}, 0)
}

// showKeys renders the page with the person's keys and d's message,
// error or new key.
func (c *Console) showKeys(w http.ResponseWriter, r *http.Request, s *session, d keysData, status int) error {
	keys, err := c.st.APIKeys(r.Context(), s.p.AccountUID)
	if err != nil {
		return err
	}
	d.Keys = keyRows(keys)
	c.render(w, r, s, view{Template: "apikeys", Title: "API keys", Status: status, Data: d})
	return nil
}

// createAPIKey makes a key as POST /auth/api-keys does and shows its
// secret on the answer itself, never in a URL: only its hash is stored,
// so this page is the one time it can be read. A refused name is shown
// again with the API's words.
func (c *Console) createAPIKey(w http.ResponseWriter, r *http.Request, s *session) error {
	name := r.PostFormValue("name")
	if err := roster.CheckAPIKeyName(name); err != nil {
		return c.keyRefused(w, r, s, name, err)
	}
	key, keyID, hash := auth.NewAPIKey()
	info, err := c.st.CreateAPIKey(r.Context(), s.p.OrgID, s.p.AccountUID,
		roster.NewAPIKey{KeyID: keyID, SecretHash: hash, Name: name})
	if err != nil {
		return c.keyRefused(w, r, s, name, err)
	}
	created := newKeyRow(info)
	return c.showKeys(w, r, s, keysData{Created: &created, Secret: key}, http.StatusCreated)
}

// keyRefused shows a refusal the person can correct (a bad name, too many
// keys) above the form with the name kept, and any other error on the
// error page.
func (c *Console) keyRefused(w http.ResponseWriter, r *http.Request, s *session, name string, err error) error {
	if roster.KindOf(err) != roster.KindInvalid {
		return err
	}
	status, msg := api.ErrorAnswer(r, err)
	return c.showKeys(w, r, s, keysData{Name: name, Error: msg}, status)
}

// ownKey finds the key of the path among the person's own: another
// person's key, or another organization's, is the API's 404.
func (c *Console) ownKey(r *http.Request, s *session) (roster.APIKeyInfo, error) {
	keys, err := c.st.APIKeys(r.Context(), s.p.AccountUID)
	if err != nil {
		return roster.APIKeyInfo{}, err
	}
	for _, k := range keys {
		if k.KeyID == r.PathValue("key_id") {
			return k, nil
		}
	}
	return roster.APIKeyInfo{}, errKeyNotFound
}

// errKeyNotFound is the store's answer for a key that is not the caller's.
var errKeyNotFound = roster.Errorf(roster.KindNotFound, "API key not found")

func (c *Console) confirmRevoke(w http.ResponseWriter, r *http.Request, s *session) error {
	k, err := c.ownKey(r, s)
	if err != nil {
		return err
	}
	c.render(w, r, s, view{Template: "revoke", Title: "Revoke " + k.Name, Data: newKeyRow(k)})
	return nil
}

// revokeAPIKey revokes the key as DELETE /auth/api-keys/{key_id} does: the
// store finds it among the caller's own keys only.
func (c *Console) revokeAPIKey(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := c.st.RevokeAPIKey(r.Context(), s.p.AccountUID, r.PathValue("key_id")); err != nil {
		return err
	}
	http.Redirect(w, r, Prefix+"api-keys?done=revoked", http.StatusSeeOther)
	return nil
}
