package api

import (
	"net/http"

	"roster"
	"roster/auth"
)

type apiKeyJSON struct {
	KeyID      string  `json:"key_id"`
	Name       string  `json:"name"`
	CreatedAt  string  `json:"created_at"`
	LastUsedAt *string `json:"last_used_at"`
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) error {
	keys, err := s.store.APIKeys(r.Context(), principal(r).AccountUID)
	if err != nil {
		return err
	}
	out := make([]apiKeyJSON, len(keys))
	for i, k := range keys {
		out[i] = apiKeyJSON{KeyID: k.KeyID, Name: k.Name, CreatedAt: timeJSON(k.CreatedAt)}
		if k.LastUsedAt != nil {
			used := timeJSON(*k.LastUsedAt)
			out[i].LastUsedAt = &used
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"api_keys": out})
	return nil
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) error {
	f, err := readStrings(w, r, []string{"name"})
	if err != nil {
		return err
	}
	if err := roster.CheckAPIKeyName(f["name"]); err != nil {
		return err
	}
	key, keyID, hash := auth.NewAPIKey()
	p := principal(r)
	info, err := s.store.CreateAPIKey(r.Context(), p.OrgID, p.AccountUID,
		roster.NewAPIKey{KeyID: keyID, SecretHash: hash, Name: f["name"]})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"key_id": info.KeyID, "name": info.Name,
		"created_at": timeJSON(info.CreatedAt), "api_key": key})
	return nil
}

func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request) error {
	keyID := r.PathValue("key_id")
	if !roster.ValidUID(keyID) {
		return roster.Errorf(roster.KindNotFound, "API key not found")
	}
	if err := s.store.RevokeAPIKey(r.Context(), principal(r).AccountUID, keyID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{"API key revoked."})
	return nil
}
