package api

import (
	"encoding/json"
	"strconv"
	"time"

	"roster"
)

// clientJSON is a client as the seeds show it. age and shoeSize are strings
// because the seeds' list and details schemas say so; every other field has
// its natural type, and absent values are null.
type clientJSON struct {
	UserUID              string          `json:"user_uid"`
	Email                string          `json:"email"`
	DisplayName          string          `json:"display_name"`
	Phone                *string         `json:"phone"`
	Age                  *string         `json:"age"`
	Gender               *string         `json:"gender"`
	Height               *float64        `json:"height"`
	Weight               *float64        `json:"weight"`
	YCOM                 *float64        `json:"ycom"`
	LegLength            *float64        `json:"leg_length"`
	ShoeSize             *string         `json:"shoeSize"`
	Brand                *string         `json:"brand"`
	ShoeModel            *string         `json:"shoeModel"`
	PreferableActivities []string        `json:"preferable_activities"`
	ProfilePhoto         *string         `json:"profile_photo"`
	Notes                json.RawMessage `json:"notes,omitempty"` // only in details and on create
	LastSession          *string         `json:"last_session"`
	SessionsCount        int64           `json:"sessions_count"`
	ExternalID           *string         `json:"external_id"`
	SessionsLimit        *int64          `json:"sessions_limit"`
	Status               string          `json:"status"` // active or deactivated
	DeactivatedAt        *string         `json:"deactivated_at"`
	AdminUID             string          `json:"admin_uid"`
	CreatedAt            string          `json:"created_at"`
	UpdatedAt            string          `json:"updated_at"`
}

type noteJSON struct {
	Text      *string `json:"text"`
	UpdatedAt string  `json:"updated_at"`
}

// timeJSON formats times as the seeds do: UTC with milliseconds.
func timeJSON(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// optTimeJSON formats a time that may be absent.
func optTimeJSON(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := timeJSON(*t)
	return &s
}

// toJSON converts a client; photoURL turns a blob key into a signed URL.
func toJSON(c *roster.Client, photoURL func(key string) string, withNotes bool) clientJSON {
	j := clientJSON{
		UserUID: c.UID, Email: c.Email, DisplayName: c.DisplayName, Phone: c.Phone,
		Gender: c.Gender, Height: c.Height, Weight: c.Weight, YCOM: c.YCOM, LegLength: c.LegLength,
		Brand: c.Brand, ShoeModel: c.ShoeModel, PreferableActivities: c.PreferableActivities,
		AdminUID: c.CreatedBy, CreatedAt: timeJSON(c.CreatedAt), UpdatedAt: timeJSON(c.UpdatedAt),
		SessionsCount: c.SessionsCount, ExternalID: c.ExternalID, SessionsLimit: c.SessionsLimit, Status: "active",
		LastSession: optTimeJSON(c.LastSession), DeactivatedAt: optTimeJSON(c.DeactivatedAt),
	}
	if c.DeactivatedAt != nil {
		j.Status = "deactivated"
	}
	if j.PreferableActivities == nil {
		j.PreferableActivities = []string{}
	}
	if c.Age != nil {
		s := strconv.FormatInt(*c.Age, 10)
		j.Age = &s
	}
	if c.ShoeSize != nil {
		s := strconv.FormatFloat(*c.ShoeSize, 'f', -1, 64)
		j.ShoeSize = &s
	}
	if c.ProfilePhoto != "" {
		u := photoURL(c.ProfilePhoto)
		j.ProfilePhoto = &u
	}
	if withNotes {
		j.Notes = json.RawMessage("null")
		if c.Note != nil {
			j.Notes, _ = marshalJSON(noteJSON{Text: c.Note.Text, UpdatedAt: timeJSON(c.Note.UpdatedAt)})
		}
	}
	return j
}
