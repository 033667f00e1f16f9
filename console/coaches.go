package console

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"roster"
	"roster/store"
)

// The client page names the client's coaches and, to whom may assign them
// (store.MayAssignCoaches: the Owner and the Admins whose scope is all),
// offers to assign a staff member or unassign a coach, as POST and DELETE
// .../clients/{user_uid}/coaches/ do. It lists the note's history, newest
// first, a page at a time as GET .../notes-history pages it, with the
// versions the store lets the viewer see, and adds a version as POST
// .../notes-history does.

// notesPerPage is how many versions of the note the client page lists at
// once: the API's page unless asked otherwise.
const notesPerPage = 20

// notesAfter is the client page's query parameter for an older page of
// the note's history, as start_after_id is the API's.
const notesAfter = "notes_after"

// coachesData is the client page's part about coaches.
type coachesData struct {
	List []roster.StaffMember
	// Choices are the staff members who may be assigned, offered when
	// the viewer may assign ("" when not).
	Choices   []option
	MayAssign bool
}

// notesData is the client page's part about the note's history.
type notesData struct {
	List   []shownNote
	Older  string // the link to the next older page; "" on the last
	Newest string // the link to the first page, from another
	Form   noteForm
}

// shownNote is one version of the note in the history.
type shownNote struct {
	Author, Time, Visibility string
	Text                     string
	Cleared                  bool // the version cleared the note
}

// noteForm is the form that adds a version: what was typed, and the
// API's refusal.
type noteForm struct {
	Text         string
	Visibilities []option
	Error        string
}

// newNoteForm is the form with text typed and the visibility chosen
// checked: the organization's when none (or no known one) is.
func newNoteForm(text, chosen string) noteForm {
	if chosen != roster.NoteCoaches {
		chosen = roster.NoteOrganization
	}
	return noteForm{Text: text, Visibilities: []option{
		{Value: roster.NoteOrganization, Label: "The organization's staff", Selected: chosen == roster.NoteOrganization},
		{Value: roster.NoteCoaches, Label: "The client's coaches and the Owners only", Selected: chosen == roster.NoteCoaches},
	}}
}

// coachesAndNotes reads cl's coaches and the page of its note's history
// that q asks for, naming staff from the organization's staff list.
func (c *Console) coachesAndNotes(r *http.Request, s *session, cl *roster.Client, q url.Values) (coachesData, notesData, error) {
	var cd coachesData
	var nd notesData
	after := q.Get(notesAfter)
	if after != "" && !roster.ValidUID(after) {
		return cd, nd, roster.Errorf(roster.KindInvalid, "%s: must be a note uid", notesAfter)
	}
	ctx := r.Context()
	coaches, err := c.st.ClientCoaches(ctx, s.p.OrgID, cl.UID)
	if err != nil {
		return cd, nd, err
	}
	versions, err := c.st.NoteHistory(ctx, s.p.OrgID, cl.UID, s.p, after, notesPerPage+1)
	if err != nil {
		return cd, nd, err
	}
	staff, _, err := c.st.Staff(ctx, s.p.OrgID, roster.StaffFilter{}, "", maxShown)
	if err != nil {
		return cd, nd, err
	}
	cd.List, cd.MayAssign = coaches, store.MayAssignCoaches(ctx)
	names := map[string]string{}
	for _, m := range staff {
		names[m.UID] = staffName(&m)
		isCoach := slices.ContainsFunc(coaches, func(co roster.StaffMember) bool { return co.UID == m.UID })
		if cd.MayAssign && !isCoach {
			cd.Choices = append(cd.Choices, option{Value: m.UID, Label: names[m.UID]})
		}
	}
	if len(versions) > notesPerPage {
		versions = versions[:notesPerPage]
		nd.Older = clientURL(cl.UID) + "?" + url.Values{notesAfter: {versions[len(versions)-1].UID}}.Encode() + "#notes"
	}
	if after != "" {
		nd.Newest = clientURL(cl.UID) + "#notes"
	}
	for _, v := range versions {
		// An author who left the organization, or is not among the
		// maxShown staff read, is named by uid.
		n := shownNote{Author: names[v.AuthorUID], Time: when(&v.CreatedAt), Visibility: v.Visibility, Cleared: v.Text == nil}
		if n.Author == "" {
			n.Author = v.AuthorUID
		}
		if v.Text != nil {
			n.Text = *v.Text
		}
		nd.List = append(nd.List, n)
	}
	nd.Form = newNoteForm("", "")
	return cd, nd, nil
}

func staffName(m *roster.StaffMember) string { return m.DisplayName + " (" + m.Email + ")" }

// setCoach assigns or unassigns the form's coach_uid as a coach of the
// page's client. The store refuses a scoped Admin (403) and a coach who
// is not staff here (404), shown on the error page as the API words them.
func (c *Console) setCoach(assigned bool) handler {
	return func(w http.ResponseWriter, r *http.Request, s *session) error {
		uid := r.PathValue("uid")
		if !roster.ValidUID(uid) {
			return roster.ErrClientNotFound
		}
		coach := r.PostFormValue("coach_uid")
		if !roster.ValidUID(coach) {
			return store.ErrCoachNotFound
		}
		if _, err := c.st.SetCoach(r.Context(), s.p.OrgID, uid, coach, assigned); err != nil {
			return err
		}
		done := "coach-unassigned"
		if assigned {
			done = "coach-assigned"
		}
		http.Redirect(w, r, clientURL(uid)+"?done="+done+"#coaches", http.StatusSeeOther)
		return nil
	}
}

// addNote adds a version of the client's note, as POST .../notes-history
// does: its text is required, and its visibility organization (which also
// replaces the client's note) or coaches. A refusal shows the page again
// with the form as typed and the API's words.
func (c *Console) addNote(w http.ResponseWriter, r *http.Request, s *session) error {
	cl, err := c.client(r, s)
	if err != nil {
		return err
	}
	// Browsers send a textarea's line breaks as CRLF.
	draft := strings.ReplaceAll(r.PostFormValue("text"), "\r\n", "\n")
	var visibility any // none is the organization's, as in the API
	if v, ok := r.PostForm["visibility"]; ok {
		visibility = v[0]
	}
	var text *string
	vis, err := roster.ParseNoteVisibility(visibility)
	if err == nil {
		text, err = roster.ParseNoteField("text", draft)
	}
	if err == nil && text == nil {
		err = roster.Errorf(roster.KindInvalid, "text: required")
	}
	if err == nil {
		err = c.st.AddNote(r.Context(), s.p.OrgID, cl.UID, text, vis)
	}
	switch k := roster.KindOf(err); {
	case err == nil:
	case k == roster.KindInvalid || k == roster.KindTooLarge:
		v := errorPage(r, err)
		return c.showClient(w, r, s, &cl, v.Status, func(d *clientData) {
			d.Notes.Form = newNoteForm(draft, r.PostFormValue("visibility"))
			d.Notes.Form.Error = v.Data.(string)
		})
	default:
		return err
	}
	http.Redirect(w, r, clientURL(cl.UID)+"?done=note-added#notes", http.StatusSeeOther)
	return nil
}
