package console

import (
	"net/http"
	"strconv"
	"strings"

	"roster"
)

// The organization page shows what GET /user-management/organization-status/
// answers, under the same permission (the guard in routes), with how much
// of its plan the organization uses. It changes nothing: the plan and the
// quota are the operator's to set.

// orgData is what the organization page shows.
type orgData struct {
	Status     roster.OrganizationStatus
	Fields     []shownField
	Activities string
}

func (c *Console) organization(w http.ResponseWriter, r *http.Request, s *session) error {
	st, err := c.st.OrganizationStatus(r.Context(), s.p.OrgID, s.p.AccountUID)
	if err != nil {
		return err
	}
	use, err := c.st.OrganizationUsage(r.Context(), s.p.OrgID)
	if err != nil {
		return err
	}
	limit := "unlimited"
	if st.ClientLimit != 0 {
		limit = strconv.FormatInt(st.ClientLimit, 10)
	}
	d := orgData{Status: st, Activities: strings.Join(st.Activities, ", "), Fields: []shownField{
		{"Plan", st.PaymentType},
		{"Clients", strconv.FormatInt(use.Clients, 10)},
		{"Client limit", limit},
		{"Analysis sessions left", strconv.FormatInt(st.SessionNumber, 10)},
		{"Analysis sessions recorded", strconv.FormatInt(use.AnalysisSessions, 10)},
		{"Your role", st.Role},
	}}
	c.render(w, r, s, view{Template: "organization", Title: st.CompanyName, Data: d})
	return nil
}
