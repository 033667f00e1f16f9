package api

import (
	"net/http"
)

// organizationStatusJSON is the seed's "Retrieving Organization Status"
// answer, with the organization's uid added.
type organizationStatusJSON struct {
	SessionNumber   int64    `json:"session_number"`
	UID             string   `json:"uid"`  // the caller's account
	Role            string   `json:"role"` // the caller's, as stored: Owner or Admin
	PaymentType     string   `json:"payment_type"`
	Activity        []string `json:"activity"`
	CompanyName     string   `json:"companyName"`
	Name            string   `json:"name"` // the caller's display name
	OrganizationUID string   `json:"organization_uid"`
}

func (s *Server) organizationStatus(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	st, err := s.store.OrganizationStatus(r.Context(), p.OrgID, p.AccountUID)
	if err != nil {
		return err
	}
	out := organizationStatusJSON{
		SessionNumber: st.SessionNumber, UID: st.AccountUID, Role: st.Role, PaymentType: st.PaymentType,
		Activity: st.Activities, CompanyName: st.CompanyName, Name: st.DisplayName, OrganizationUID: st.UID,
	}
	if out.Activity == nil {
		out.Activity = []string{}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
