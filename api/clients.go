package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"roster"
	"roster/photo"
)

// Filter pages hold 5 clients unless asked otherwise, and never more than
// maxLimit.
const (
	defaultLimit = 5
	maxLimit     = 100
)

func (s *Server) listClients(w http.ResponseWriter, r *http.Request) error {
	l, err := parseList(r)
	if err != nil {
		return err
	}
	if l.paged {
		return s.writeClientPage(w, r, l)
	}
	return s.streamClients(w, r, l.ClientQuery)
}

// streamClients writes every client q matches. The list is streamed: memory
// stays flat however many clients there are. Once the first byte is out, an
// error can only abort the response.
func (s *Server) streamClients(w http.ResponseWriter, r *http.Request, q roster.ClientQuery) error {
	release, err := s.streams.take(principal(r))
	if err != nil {
		return err
	}
	defer release()
	photoURL := s.photoURL()
	started := false
	var b []byte
	err = s.store.EachClientMatching(r.Context(), principal(r).OrgID, q, func(c *roster.Client) error {
		b = toJSON(c, photoURL, false).appendJSON(b[:0])
		sep := ","
		if !started {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"users":[`))
			started, sep = true, ""
		}
		w.Write([]byte(sep))
		_, err := w.Write(b)
		return err
	})
	switch {
	case err != nil && started:
		logFrom(r.Context()).Error("client list aborted", "err", err)
		panic(http.ErrAbortHandler)
	case err != nil:
		return err
	case !started:
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"users":[`))
	}
	_, err = w.Write([]byte("]}\n"))
	return err
}

func (s *Server) clientDetails(w http.ResponseWriter, r *http.Request) error {
	uid := r.PathValue("user_uid")
	if !roster.ValidUID(uid) {
		return roster.ErrClientNotFound
	}
	c, err := s.store.Client(r.Context(), principal(r).OrgID, uid)
	if err != nil {
		return err
	}
	j := toJSON(&c, s.photoURL(), true)
	writeBody(w, http.StatusOK, func(b []byte) []byte { return j.appendJSON(b) })
	return nil
}

func (s *Server) createClient(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	in, err := readInput(w, r, false, true)
	if err != nil {
		return err
	}
	claim, err := takeBool(in.fields, "send_claim_link")
	if err != nil {
		return err
	}
	fields, err := roster.NewClientFields(in.fields)
	if err != nil {
		return err
	}
	c := roster.NewClient(p.AccountUID, fields, s.now())
	if err := s.CreateClient(r.Context(), p, &c, in.photo, claim); err != nil {
		return err
	}
	// Written as a read by id writes the client: through encoding/json, its
	// JSON was checked and compacted again (pprof of creates under wrk).
	j := toJSON(&c, s.photoURL(), true)
	writeBody(w, http.StatusCreated, func(b []byte) []byte {
		return append(j.appendJSON(append(b, `{"userData":`...)), '}')
	})
	return nil
}

func (s *Server) updateClient(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	in, err := readInput(w, r, true, true)
	if err != nil {
		return err
	}
	uid, err := takeString(in.fields, "user_uid")
	if err != nil {
		return err
	}
	u, err := roster.NewClientUpdate(in.fields)
	if err != nil {
		return err
	}
	if u.Set == 0 && in.photo == nil {
		return invalid("nothing to update: give at least one field besides user_uid")
	}
	if !roster.ValidUID(uid) {
		return roster.ErrClientNotFound
	}
	if err := s.UpdateClient(r.Context(), p, uid, u, in.photo); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{"User information updated successfully."})
	return nil
}

func (s *Server) deleteClient(w http.ResponseWriter, r *http.Request) error {
	in, err := readInput(w, r, false, false)
	if err != nil {
		return err
	}
	uid, err := takeString(in.fields, "user_uid")
	if err != nil {
		return err
	}
	for k := range in.fields {
		return invalid("%s: unknown field; only user_uid is accepted", k)
	}
	photoKey, err := s.store.DeleteClient(r.Context(), principal(r).OrgID, uid)
	if err != nil {
		return err
	}
	s.deletePhoto(r.Context(), photoKey)
	writeJSON(w, http.StatusOK, message{fmt.Sprintf("User with UID %s deleted from admin.", uid)})
	return nil
}

func (s *Server) saveNote(w http.ResponseWriter, r *http.Request) error {
	uid := r.PathValue("user_uid")
	in, err := readInput(w, r, true, false)
	if err != nil {
		return err
	}
	var text *string
	switch v := in.fields["note"].(type) {
	case nil:
	case string:
		if text, err = roster.ParseNote(v); err != nil {
			return err
		}
	default:
		return invalid("note: must be a string")
	}
	delete(in.fields, "note")
	for k := range in.fields {
		return invalid("%s: unknown field; only note is accepted", k)
	}
	if !roster.ValidUID(uid) {
		return roster.ErrClientNotFound
	}
	if err := s.store.SaveNote(r.Context(), principal(r).OrgID, uid, text); err != nil {
		return err
	}
	msg := "Note saved."
	if text == nil {
		msg = "Note cleared."
	}
	writeJSON(w, http.StatusOK, message{msg})
	return nil
}

func (s *Server) filterClients(w http.ResponseWriter, r *http.Request) error {
	v, err := params(r, filterParams)
	if err != nil {
		return err
	}
	f, page, err := parseFilter(v)
	if err != nil {
		return err
	}
	res, err := s.store.FilterClients(r.Context(), principal(r).OrgID, f, page)
	if err != nil {
		return err
	}
	if len(res.Clients) == 0 {
		return roster.Errorf(roster.KindNotFound, "no users found")
	}
	// {query_count, users, first_uid, last_uid}, written as clientJSON is.
	photoURL := s.photoURL()
	writeBody(w, http.StatusOK, func(b []byte) []byte {
		b = strconv.AppendInt(append(b, `{"query_count":`...), res.Count, 10)
		b = appendClients(append(b, `,"users":`...), res.Clients, photoURL)
		b = appendJSONString(append(b, `,"first_uid":`...), res.Clients[0].UID)
		b = appendJSONString(append(b, `,"last_uid":`...), res.Clients[len(res.Clients)-1].UID)
		return append(b, '}')
	})
	return nil
}

var filterParams = append([]string{"start_after_id", "end_before_id", "limit", "admin_uid", "coach_uid", "start_date",
	"end_date", "gender", "preferable_activities", "activity"}, rangeParams...)

// parseFilter reads the filter's parameters, as params returned them.
func parseFilter(v map[string]string) (roster.ClientFilter, roster.Page, error) {
	var f roster.ClientFilter
	var page roster.Page
	var err error
	if page.Limit, err = intParam(v, "limit", defaultLimit, 1, maxLimit); err != nil {
		return f, page, err
	}
	page.After, page.Before = v["start_after_id"], v["end_before_id"]
	if page.After != "" && page.Before != "" {
		return f, page, invalid("start_after_id and end_before_id: give one, not both")
	}
	for _, k := range []string{"start_after_id", "end_before_id", "admin_uid", "coach_uid"} {
		if _, err := uidParam(v, k); err != nil {
			return f, page, err
		}
	}
	f.AdminUID, f.CoachUID = v["admin_uid"], v["coach_uid"]
	if g := v["gender"]; g != "" {
		if f.Gender, err = roster.ParseGender(g); err != nil {
			return f, page, invalid("gender: %v", err)
		}
	}
	if f.From, err = parseDate(v["start_date"], "start_date"); err != nil {
		return f, page, err
	}
	if f.To, err = parseDate(v["end_date"], "end_date"); err != nil {
		return f, page, err
	}
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1) // inclusive end date
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, page, invalid("start_date: must not be after end_date")
	}
	if err := parseRanges(v, &f); err != nil {
		return f, page, err
	}
	activities, activity := v["preferable_activities"], v["activity"]
	switch {
	case activities != "" && activity != "":
		return f, page, invalid("activity and preferable_activities: give one, not both")
	case activity != "":
		if !slices.Contains(roster.Activities, activity) {
			return f, page, invalid("activity: unknown activity %q", activity)
		}
		f.Activities = []string{activity}
	case activities != "":
		if f.Activities, err = roster.ParseActivities(activities); err != nil {
			return f, page, invalid("preferable_activities: %v", err)
		}
	}
	return f, page, nil
}

func parseDate(v, name string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return t, invalid("%s: must be a date in YYYY-MM-DD form", name)
	}
	return t, storedYears(t, name)
}

// CreateClient stores c, a new client of p's organization, with up as its
// photo unless up is nil, and with claim a link invitation to its email,
// as POST /client-management/clients/ does (and the console's form):
// after an error no photo of it remains.
func (s *Server) CreateClient(ctx context.Context, p roster.Principal, c *roster.Client, up *photo.Upload, claim bool) error {
	var links roster.ClaimLinks
	if claim {
		var err error
		if links, err = s.claimLinks(p); err != nil {
			return err
		}
	}
	if up != nil {
		key, err := s.putPhoto(ctx, p.OrgUID, c.UID, up)
		if err != nil {
			return err
		}
		c.ProfilePhoto = key
	}
	var err error
	if claim {
		err = s.store.CreateClientWithClaimLink(ctx, p.OrgID, c, links)
	} else {
		err = s.store.CreateClient(ctx, p.OrgID, c)
	}
	if err != nil {
		s.deletePhoto(ctx, c.ProfilePhoto)
		c.ProfilePhoto = ""
		return err
	}
	if claim {
		s.mail.Notify()
	}
	return nil
}

// AccountPage is the console's page where a signed-in person answers the
// link invitations sent to their email; claim links point to it, on the
// server's public URL.
const AccountPage = "/console/account"

// claimLinks are the link invitations that a create or an import asked
// to send its new clients: they link to the server's own page, never to
// a host the caller names, or carry no link without a public URL.
func (s *Server) claimLinks(p roster.Principal) (roster.ClaimLinks, error) {
	link, err := s.MailLink(AccountPage)
	return roster.ClaimLinks{InviterUID: p.AccountUID, PlatformLink: link, TTL: s.invitationTTL, Limits: s.limits}, err
}

// UpdateClient applies u to the client uid of p's organization and, unless
// up is nil, makes up its photo, as PUT /client-management/clients/ does
// (and the console's forms): the old photo is removed once the new one is
// saved, and after an error the new one is not kept.
func (s *Server) UpdateClient(ctx context.Context, p roster.Principal, uid string, u roster.ClientUpdate, up *photo.Upload) error {
	if up != nil {
		// Checked before storing the photo, so that an unknown uid leaves no file.
		if _, err := s.store.Client(ctx, p.OrgID, uid); err != nil {
			return err
		}
		key, err := s.putPhoto(ctx, p.OrgUID, uid, up)
		if err != nil {
			return err
		}
		u.Photo = &key
	}
	old, err := s.store.UpdateClient(ctx, p.OrgID, uid, u)
	if err != nil {
		if u.Photo != nil {
			s.deletePhoto(ctx, *u.Photo)
		}
		return err
	}
	s.deletePhoto(ctx, old)
	return nil
}

// putPhoto stores an uploaded photo and its thumbnail under a fresh key;
// after an error neither remains.
func (s *Server) putPhoto(ctx context.Context, orgUID, clientUID string, up *photo.Upload) (string, error) {
	key := photo.NewKey(orgUID, clientUID, up.Ext)
	err := s.blobs.Put(ctx, key, up.Data)
	if err == nil {
		if err = s.blobs.Put(ctx, photo.ThumbnailKey(key), up.Thumbnail); err != nil {
			s.deletePhoto(ctx, key)
		}
	}
	return key, err
}

// deletePhoto removes a photo that is no longer referenced, with its
// thumbnail. A failure leaves an orphaned blob, never a broken client, so
// it is logged, not returned; the photo sweep removes the blob later.
func (s *Server) deletePhoto(ctx context.Context, key string) {
	if key == "" {
		return
	}
	for _, k := range []string{key, photo.ThumbnailKey(key)} {
		if err := s.blobs.Delete(context.WithoutCancel(ctx), k); err != nil {
			logFrom(ctx).Warn("photo not deleted", "key", k, "err", err)
		}
	}
}
