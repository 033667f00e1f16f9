package console

import (
	"errors"
	"fmt"
	"net/http"

	"roster"
	"roster/photo"
)

// A client's photo comes from the create and edit forms, or from the
// client page's own form, as a multipart upload: it passes the API's
// checks and is re-encoded with its thumbnail (photo.Normalize), and is
// stored through the API server's CreateClient and UpdateClient, which
// remove the photo it replaces and keep no blob of a save that fails. The
// pages show it through the API's signed links.

// photoField is the name of the forms' photo input: the API's multipart
// field.
const photoField = "profile_photo"

// photoInput is what the forms' photo input shows.
type photoInput struct {
	Hint  string
	Error string // the API's refusal of the photo posted
	Focus bool   // the error to correct first
	Again bool   // a photo was posted, and is not kept by the form shown again
}

// photoHint is what the API takes, in its limits.
var photoHint = fmt.Sprintf("A JPEG or PNG image, at most %d MB.", photo.MaxBytes>>20)

// PhotoInput is the client page's photo input.
func (d clientData) PhotoInput() photoInput {
	return photoInput{Hint: photoHint, Error: d.PhotoError, Focus: d.PhotoError != ""}
}

// PhotoInput is the client form's photo input, focused when no field
// before it is in error.
func (d formData) PhotoInput() photoInput {
	in := photoInput{Hint: photoHint, Error: d.PhotoError, Again: d.PhotoAgain, Focus: d.PhotoError != ""}
	for _, f := range d.Fields {
		in.Focus = in.Focus && !f.Focus
	}
	return in
}

// uploadedPhoto returns the photo the posted form carries, as the API
// takes it; nil when none was chosen. A refused photo's error names
// photoField, so that the form shows it next to the input.
func uploadedPhoto(r *http.Request) (*photo.Upload, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	files := r.MultipartForm.File[photoField]
	switch len(files) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, roster.FieldErrorf(photoField, "given more than once")
	}
	f, err := files[0].Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	up, err := photo.Normalize(f)
	var e *roster.Error
	if errors.As(err, &e) && e.Field == "" {
		named := *e
		named.Field = photoField
		return nil, &named
	}
	return up, err
}

// photoChosen reports whether the posted form carried a photo, refused
// or not: a form shown again cannot keep it, and says so.
func photoChosen(r *http.Request) bool {
	return r.MultipartForm != nil && len(r.MultipartForm.File[photoField]) > 0
}

// thumbnailURL is the signed link to the thumbnail of cl's photo, as the
// API's profile_photo_thumbnail gives it, or "" when cl has none.
func (c *Console) thumbnailURL(cl *roster.Client) string {
	_, thumb := c.api.PhotoLinks(cl)
	return thumb
}

// uploadPhoto makes the posted photo the page's client's, replacing the
// one it had, as a PUT with only profile_photo does.
func (c *Console) uploadPhoto(w http.ResponseWriter, r *http.Request, s *session) error {
	cl, err := c.client(r, s)
	if err != nil {
		return err
	}
	up, err := uploadedPhoto(r)
	if err == nil && up == nil {
		err = roster.FieldErrorf(photoField, "choose a JPEG or PNG image to upload")
	}
	if err == nil {
		err = c.api.UpdateClient(r.Context(), s.p, cl.UID, roster.ClientUpdate{}, up)
	}
	var e *roster.Error
	if errors.As(err, &e) && e.Field == photoField {
		return c.showClient(w, r, s, &cl, errorPage(r, err).Status, func(d *clientData) { d.PhotoError = e.Message })
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, clientURL(cl.UID)+"?done=photo-saved", http.StatusSeeOther)
	return nil
}
