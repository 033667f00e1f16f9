package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"roster"
)

// List pages hold 10 clients unless asked otherwise, and 50 at most. A page
// is found by OFFSET, which reads and drops every client before it, so
// pages reach maxPagedRows deep at most: beyond, a query must be narrowed
// or walked with the filter endpoint's keyset cursor.
const (
	defaultPerPage = 10
	maxPerPage     = 50
	maxPagedRows   = 10000
)

// searchParams reads q and email, which the client and staff lists share.
func searchParams(v map[string]string) (search, email string, err error) {
	search, email = v["q"], v["email"]
	switch {
	case !utf8.ValidString(search):
		return "", "", invalid("q: must be valid UTF-8")
	case utf8.RuneCountInString(search) > roster.MaxSearchLength:
		return "", "", invalid("q: must be at most %d characters", roster.MaxSearchLength)
	}
	if email != "" {
		if err := roster.ValidateEmail(email); err != nil {
			return "", "", invalid("email: %v", err)
		}
	}
	return search, email, nil
}

var listParams = append([]string{"page", "per_page", "q", "order_by", "order", "email", "deactivated"}, rangeParams...)

// listRequest is what a list request asks for. Without page or per_page it
// is not paged: the whole list is streamed.
type listRequest struct {
	roster.ClientQuery
	paged         bool
	page, perPage int
}

func parseList(r *http.Request) (listRequest, error) {
	var l listRequest
	v, err := params(r, listParams)
	if err != nil {
		return l, err
	}
	l.paged = v["page"] != "" || v["per_page"] != ""
	if l.page, err = intParam(v, "page", 1, 1, maxPagedRows); err != nil {
		return l, err
	}
	if l.perPage, err = intParam(v, "per_page", defaultPerPage, 1, maxPerPage); err != nil {
		return l, err
	}
	if l.page*l.perPage > maxPagedRows {
		return l, invalid("page: page × per_page must be at most %d; narrow the list with q or email, "+
			"or walk it with the filter endpoint's start_after_id cursor", maxPagedRows)
	}
	if l.Search, l.Email, err = searchParams(v); err != nil {
		return l, err
	}
	deactivated, err := boolParam(v, "deactivated")
	if err != nil {
		return l, err
	}
	l.Deactivated = deactivated != nil && *deactivated
	if err := parseRanges(v, &l.ClientFilter); err != nil {
		return l, err
	}
	l.OrderBy, l.Ascending, err = parseOrder(v)
	return l, err
}

// parseOrder reads order_by and order; the direction's default depends on
// the order.
func parseOrder(v map[string]string) (roster.ClientOrder, bool, error) {
	by := roster.OrderCreatedAt
	if s := v["order_by"]; s != "" {
		by = roster.ClientOrder(s)
		if !slices.Contains(roster.ClientOrders, by) {
			names := make([]string, len(roster.ClientOrders))
			for i, o := range roster.ClientOrders {
				names[i] = string(o)
			}
			return by, false, invalid("order_by: must be one of %s", strings.Join(names, ", "))
		}
	}
	switch v["order"] {
	case "":
		return by, by.AscendingByDefault(), nil
	case "asc":
		return by, true, nil
	case "desc":
		return by, false, nil
	}
	return by, false, invalid("order: must be asc or desc")
}

func (s *Server) writeClientPage(w http.ResponseWriter, r *http.Request, l listRequest) error {
	res, err := s.store.ClientPage(r.Context(), principal(r).OrgID, l.ClientQuery, (l.page-1)*l.perPage, l.perPage)
	if err != nil {
		return err
	}
	// A list page is the streamed list's shape with the totals of
	// FitTrackee's pagination: {users, query_count, page, per_page, pages},
	// written as clientJSON is. A search's total may stop counting
	// (roster.SearchCountMost): query_count_exact says whether it did not.
	per, photoURL := int64(l.perPage), s.photoURL()
	writeBody(w, http.StatusOK, func(b []byte) []byte {
		b = appendClients(append(b, `{"users":`...), res.Clients, photoURL)
		b = strconv.AppendInt(append(b, `,"query_count":`...), res.Count, 10)
		b = strconv.AppendBool(append(b, `,"query_count_exact":`...), !res.CountCapped)
		b = strconv.AppendInt(append(b, `,"page":`...), int64(l.page), 10)
		b = strconv.AppendInt(append(b, `,"per_page":`...), per, 10)
		b = strconv.AppendInt(append(b, `,"pages":`...), (res.Count+per-1)/per, 10)
		return append(b, '}')
	})
	return nil
}

var staffParams = []string{"limit", "start_after_id", "q", "email", "admins"}

// parseStaffFilter reads a staff list's filters: admins=true keeps the
// Admins (the sub-admins), admins=false the Owners.
func parseStaffFilter(v map[string]string) (roster.StaffFilter, error) {
	var f roster.StaffFilter
	var err error
	if f.Search, f.Email, err = searchParams(v); err != nil {
		return f, err
	}
	admins, err := boolParam(v, "admins")
	if admins != nil {
		f.Role = map[bool]string{true: roster.RoleAdmin, false: roster.RoleOwner}[*admins]
	}
	return f, err
}
