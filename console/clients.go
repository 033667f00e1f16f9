package console

import (
	"cmp"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"roster"
	"roster/photo"
)

// clientData is what the client page shows.
type clientData struct {
	Client      *roster.Client
	Fields      []shownField
	Status      string
	Times       []shownField
	Message     string // what the last change did
	Photo       string // the signed link to the photo; "" without one
	Thumbnail   string // to its thumbnail
	PhotoError  string // the API's refusal of an uploaded photo
	Note        string // the note, or the draft the API refused
	NoteUpdated string
	NoteError   string
	Sessions    sessionsData
	Charts      []metricChart // of the measures with history
	Coaches     coachesData
	Notes       notesData
}

// messages are what the client page says after a change, by the word the
// change's redirect carries, so that a reload says it again but no link
// can make the page say anything else.
var messages = map[string]string{
	"saved":            "Saved.",
	"created":          "Client created.",
	"deactivated":      "Deactivated.",
	"reactivated":      "Reactivated.",
	"deleted":          "Client deleted.",
	"note-saved":       "Note saved.",
	"note-cleared":     "Note cleared.",
	"photo-saved":      "Photo saved.",
	"session-recorded": "Analysis session recorded.",
	"note-added":       "Note added.",
	"coach-assigned":   "Coach assigned.",
	"coach-unassigned": "Coach unassigned.",
}

// doneMessage is what a page says after the change its query names; a
// force logout tells how many sessions it ended.
func doneMessage(q url.Values) string {
	if q.Get("done") == "signed-out" {
		n, err := strconv.ParseInt(q.Get("sessions"), 10, 64)
		if err == nil && n >= 0 {
			return "Signed out of " + roster.Count(n, "session") + "."
		}
	}
	return messages[q.Get("done")]
}

// client reads the client of the page's path, in the caller's organization
// only: another organization's is the API's 404.
func (c *Console) client(r *http.Request, s *session) (roster.Client, error) {
	uid := r.PathValue("uid")
	if !roster.ValidUID(uid) {
		return roster.Client{}, roster.ErrClientNotFound
	}
	return c.st.Client(r.Context(), s.p.OrgID, uid)
}

func (c *Console) clientPage(w http.ResponseWriter, r *http.Request, s *session) error {
	cl, err := c.client(r, s)
	if err != nil {
		return err
	}
	return c.showClient(w, r, s, &cl, 0, func(d *clientData) { d.Message = doneMessage(r.URL.Query()) })
}

// showClient renders the client page of cl with status; with adds what
// the page says besides the client: a change's message, or what a refused
// form keeps and its errors.
func (c *Console) showClient(w http.ResponseWriter, r *http.Request, s *session, cl *roster.Client, status int,
	with func(*clientData)) error {
	d := clientView(cl)
	d.Photo, d.Thumbnail = c.api.PhotoLinks(cl)
	var err error
	if d.Sessions, err = c.sessions(r, s, cl, r.URL.Query()); err != nil {
		return err
	}
	if d.Charts, err = c.charts(r, s, cl); err != nil {
		return err
	}
	if d.Coaches, d.Notes, err = c.coachesAndNotes(r, s, cl, r.URL.Query()); err != nil {
		return err
	}
	with(&d)
	c.render(w, r, s, view{Template: "client", Title: cl.DisplayName, Status: status, Data: d})
	return nil
}

// clientView is the client page of cl: every field the API's details
// show.
func clientView(cl *roster.Client) clientData {
	d := clientData{Client: cl, Fields: shownFields(&cl.ClientFields), Status: "Active"}
	if cl.DeactivatedAt != nil {
		d.Status = "Deactivated " + when(cl.DeactivatedAt)
	}
	if cl.Note != nil {
		d.NoteUpdated = when(&cl.Note.UpdatedAt)
		if cl.Note.Text != nil {
			d.Note = *cl.Note.Text
		}
	}
	d.Times = []shownField{{"Last session", when(cl.LastSession)}, {"Sessions", strconv.FormatInt(cl.SessionsCount, 10)},
		{"Created", when(&cl.CreatedAt)}, {"Updated", when(&cl.UpdatedAt)}}
	return d
}

// saveNote saves the client's note, as POST .../save-notes/{user_uid}
// does; an empty note clears it. A note the API refuses is shown again,
// with its error, on the client's page.
func (c *Console) saveNote(w http.ResponseWriter, r *http.Request, s *session) error {
	cl, err := c.client(r, s)
	if err != nil {
		return err
	}
	// Browsers send a textarea's line breaks as CRLF.
	draft := strings.ReplaceAll(r.PostFormValue("note"), "\r\n", "\n")
	text, err := roster.ParseNote(draft)
	if err == nil {
		err = c.st.SaveNote(r.Context(), s.p.OrgID, cl.UID, text)
	}
	switch k := roster.KindOf(err); {
	case err == nil:
	case k == roster.KindInvalid || k == roster.KindTooLarge:
		v := errorPage(r, err)
		return c.showClient(w, r, s, &cl, v.Status, func(d *clientData) { d.Note, d.NoteError = draft, v.Data.(string) })
	default:
		return err
	}
	done := "note-saved"
	if text == nil {
		done = "note-cleared"
	}
	http.Redirect(w, r, clientURL(cl.UID)+"?done="+done, http.StatusSeeOther)
	return nil
}

// formData is what the client form shows.
type formData struct {
	Action, Cancel string
	Fields         []formField
	Error          string // an error of no one field: a plan limit, say
	Thumbnail      string // of the client's photo, when editing one that has one
	PhotoError     string
	PhotoAgain     bool // a photo was chosen, and is not kept by the form shown again
	// Claimable: the form creates a client, and offers to mail it a claim
	// link (ClaimChecked: checked).
	Claimable, ClaimChecked bool
}

// errSeeFields refuses a form with errors next to its fields.
var errSeeFields = roster.Errorf(roster.KindInvalid, "see the fields' errors")

func (c *Console) newClient(w http.ResponseWriter, r *http.Request, s *session) error {
	c.renderForm(w, r, s, "New client", formData{Action: Prefix + "clients", Cancel: Prefix + "clients",
		Fields: clientForm(&roster.ClientFields{}, nil, nil), Claimable: true}, 0)
	return nil
}

func (c *Console) editClient(w http.ResponseWriter, r *http.Request, s *session) error {
	cl, err := c.client(r, s)
	if err != nil {
		return err
	}
	c.renderForm(w, r, s, "Edit "+cl.DisplayName, formData{Action: clientURL(cl.UID), Cancel: clientURL(cl.UID),
		Fields: clientForm(&cl.ClientFields, nil, nil), Thumbnail: c.thumbnailURL(&cl)}, 0)
	return nil
}

func (c *Console) renderForm(w http.ResponseWriter, r *http.Request, s *session, title string, d formData, status int) {
	c.render(w, r, s, view{Template: "form", Title: title, Status: status, Data: d})
}

func clientURL(uid string) string { return Prefix + "clients/" + uid }

// createClient creates a client from the form, with its photo, as POST
// /client-management/clients/ does.
func (c *Console) createClient(w http.ResponseWriter, r *http.Request, s *session) error {
	claim := r.PostForm.Get("send_claim_link") == "true" // a checkbox
	d := formData{Action: Prefix + "clients", Cancel: Prefix + "clients", Claimable: true, ClaimChecked: claim}
	raw := rawFields(r.PostForm)
	up, errs, err := checkForm(r, raw)
	if err != nil {
		return c.refuseForm(w, r, s, "New client", d, errs, err)
	}
	fields, err := roster.NewClientFields(raw)
	if err != nil {
		return err
	}
	cl := roster.NewClient(s.p.AccountUID, fields, c.api.Now())
	if err := c.api.CreateClient(r.Context(), s.p, &cl, up, claim); err != nil {
		return c.refuseForm(w, r, s, "New client", d, map[string]string{}, err)
	}
	http.Redirect(w, r, clientURL(cl.UID)+"?done=created", http.StatusSeeOther)
	return nil
}

// updateClient saves every field of the form, as a PUT that gives them all.
func (c *Console) updateClient(w http.ResponseWriter, r *http.Request, s *session) error {
	// Read first: the client must be the caller's to be edited at all, and
	// a refused form is titled with its name as stored.
	cl, err := c.client(r, s)
	if err != nil {
		return err
	}
	d := formData{Action: clientURL(cl.UID), Cancel: clientURL(cl.UID), Thumbnail: c.thumbnailURL(&cl)}
	title := "Edit " + cl.DisplayName
	raw := rawFields(r.PostForm)
	up, errs, err := checkForm(r, raw)
	if err != nil {
		return c.refuseForm(w, r, s, title, d, errs, err)
	}
	u, err := roster.NewClientUpdate(raw)
	if err != nil {
		return err
	}
	if err := c.api.UpdateClient(r.Context(), s.p, cl.UID, u, up); err != nil {
		if roster.KindOf(err) == roster.KindNotFound {
			return err
		}
		return c.refuseForm(w, r, s, title, d, map[string]string{}, err)
	}
	http.Redirect(w, r, clientURL(cl.UID)+"?done=saved", http.StatusSeeOther)
	return nil
}

// checkForm checks each field of the posted client form and its photo,
// if it carries one, so that the form shows all their errors at once. It
// returns the photo as the API stores it, or the fields' errors and the
// error to answer with: the photo's own, whose status is the API's.
func checkForm(r *http.Request, raw map[string]any) (*photo.Upload, map[string]string, error) {
	errs := fieldErrors(raw, clientFieldError)
	up, err := uploadedPhoto(r)
	if err != nil && !addFieldError(errs, err) {
		return nil, errs, err
	}
	if len(errs) > 0 {
		return nil, errs, cmp.Or(err, errSeeFields)
	}
	return up, errs, nil
}

// refuseForm shows the posted form again with err: next to its field when
// it names one, above the form when it is another refusal the API makes
// (a plan limit), and on the error page otherwise. Nothing typed is lost.
func (c *Console) refuseForm(w http.ResponseWriter, r *http.Request, s *session, title string, d formData,
	errs map[string]string, err error) error {
	if !addFieldError(errs, err) {
		switch roster.KindOf(err) {
		case roster.KindInvalid, roster.KindLimit, roster.KindForbidden, roster.KindThrottled:
		default:
			return err
		}
	}
	v := errorPage(r, err)
	if len(errs) == 0 {
		d.Error = v.Data.(string)
	} else {
		d.Error = "Not saved: " + roster.Count(len(errs), "field") + " to correct."
	}
	d.Fields = clientForm(nil, r.PostForm, errs)
	d.PhotoError = errs[photoField]
	d.PhotoAgain = photoChosen(r) && d.PhotoError == ""
	c.renderForm(w, r, s, title, d, v.Status)
	return nil
}

// setActive deactivates or reactivates the page's client, as POST
// .../deactivate/ and .../reactivate/ do.
func (c *Console) setActive(active bool) handler {
	return func(w http.ResponseWriter, r *http.Request, s *session) error {
		uid := r.PathValue("uid")
		if !roster.ValidUID(uid) {
			return roster.ErrClientNotFound
		}
		if _, err := c.st.SetClientActive(r.Context(), s.p.OrgID, roster.ClientRef{UID: uid}, active); err != nil {
			return err
		}
		done := "deactivated"
		if active {
			done = "reactivated"
		}
		http.Redirect(w, r, clientURL(uid)+"?done="+done, http.StatusSeeOther)
		return nil
	}
}

// forceLogout ends every sign-in session of the account linked to the
// page's client, as POST .../force-logout/ does: none when the person did
// not accept a link.
func (c *Console) forceLogout(w http.ResponseWriter, r *http.Request, s *session) error {
	uid := r.PathValue("uid")
	if !roster.ValidUID(uid) {
		return roster.ErrClientNotFound
	}
	n, err := c.st.ForceLogoutClient(r.Context(), s.p.OrgID, roster.ClientRef{UID: uid})
	if err != nil {
		return err
	}
	http.Redirect(w, r, clientURL(uid)+"?done=signed-out&sessions="+strconv.FormatInt(n, 10), http.StatusSeeOther)
	return nil
}

// confirmDelete asks before deleting: a page of its own, so that it works
// without scripts.
func (c *Console) confirmDelete(w http.ResponseWriter, r *http.Request, s *session) error {
	cl, err := c.client(r, s)
	if err != nil {
		return err
	}
	c.render(w, r, s, view{Template: "delete", Title: "Delete " + cl.DisplayName + "?", Data: &cl})
	return nil
}

// deleteClient deletes the page's client, as DELETE
// /client-management/clients/ does, with its photo.
func (c *Console) deleteClient(w http.ResponseWriter, r *http.Request, s *session) error {
	uid := r.PathValue("uid")
	if !roster.ValidUID(uid) {
		return roster.ErrClientNotFound
	}
	photoKey, err := c.st.DeleteClient(r.Context(), s.p.OrgID, uid)
	if err != nil {
		return err
	}
	c.api.DeletePhoto(r.Context(), photoKey)
	http.Redirect(w, r, Prefix+"clients?done=deleted", http.StatusSeeOther)
	return nil
}
