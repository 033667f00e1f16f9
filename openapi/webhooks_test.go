package openapi

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"roster"
)

// TestWebhooks: the document's webhook is posted with the three Standard
// Webhooks headers, without Roster's credentials, and its payload's
// discriminator names every event type Roster sends, as the WebhookEvent
// enum does (with * for all), each to a schema whose type enum has it.
func TestWebhooks(t *testing.T) {
	doc := load(t)
	item := doc.Webhooks["event"]
	if item == nil || item.Post == nil {
		t.Fatal("no webhook event")
	}
	op := item.Post
	var headers []string
	for _, p := range op.Parameters {
		if p.Value.In == "header" && p.Value.Required {
			headers = append(headers, p.Value.Name)
		}
	}
	if !slices.Equal(headers, []string{"webhook-id", "webhook-timestamp", "webhook-signature"}) || op.Security == nil || len(*op.Security) != 0 {
		t.Errorf("webhook headers %v, security %v", headers, op.Security)
	}
	payload := doc.Components.Schemas["WebhookPayload"].Value
	mapping := payload.Discriminator.Mapping
	if got := slices.Sorted(maps.Keys(mapping)); !slices.Equal(got, slices.Sorted(slices.Values(roster.Events))) {
		t.Errorf("discriminator maps %v, want roster.Events %v", got, roster.Events)
	}
	for event, target := range mapping {
		kind := doc.Components.Schemas[strings.TrimPrefix(target.Ref, "#/components/schemas/")]
		if kind == nil || !slices.Contains(kind.Value.Properties["type"].Value.Enum, any(event)) {
			t.Errorf("%s maps to %s, whose type does not allow it", event, target.Ref)
		}
	}
	var want []any
	for _, e := range append(slices.Clone(roster.Events), roster.EventAll) {
		want = append(want, e)
	}
	if enum := doc.Components.Schemas["WebhookEvent"].Value.Enum; !slices.Equal(enum, want) {
		t.Errorf("WebhookEvent %v, want roster.Events and *", enum)
	}

	client := `{"user_uid": "0TzQ5pVbWcE4nKd8ZqR2", "email": "a@example.com", "display_name": "A",
		"phone": null, "age": null, "gender": null, "height": null, "weight": null, "ycom": null, "leg_length": null,
		"shoeSize": null, "brand": null, "shoeModel": null, "preferable_activities": [], "profile_photo": null,
		"profile_photo_thumbnail": null, "last_session": null, "admin_uid": "0TzPx1LmNoPqRsTuVwXy", "created_at": "2026-12-07T10:00:00.000Z",
		"updated_at": "2026-12-07T10:00:00.000Z", "sessions_count": 0, "external_id": null, "sessions_limit": null,
		"status": "active", "deactivated_at": null`
	org := `"organization_uid": "0TzQ1aVbWcE4nKd8ZqR1"`
	event := func(typ, data string) string {
		return `{"type": "` + typ + `", "timestamp": "2026-12-07T10:00:00.123456Z", "data": ` + data + `}`
	}
	invitation := `"admin_uid": "0TzPx1LmNoPqRsTuVwXy", "admin_email": "o@example.com", "admin_display_name": "O",
		"invitee_email": "b@example.com", "company_name": "Club", "platform_link": "https://app.example.com/join",
		"created_at": "2026-12-07T10:00:00.000Z", "expires_at": "2026-12-14T10:00:00.000Z", ` + org
	staff := `"uid": "0TzPx1LmNoPqRsTuVwXy", "email": "b@example.com", "display_name": "B", "role": "Admin", "scope": "all", `
	checkBodies(t, doc, []bodyCase{
		{"WebhookPayload", event("client.created", client+`, `+org+`}`), true},
		{"WebhookPayload", event("client.deleted", client+`, `+org+`}`), true},
		{"WebhookPayload", event("client.created", client+`}`), false},
		{"WebhookPayload", event("client.created", client+`, "notes": null, `+org+`}`), false},
		{"WebhookPayload", event("client.deleted", `{"user_uid": "0TzQ5pVbWcE4nKd8ZqR2", `+org+`}`), false},
		{"WebhookPayload", event("client.moved", client+`, `+org+`}`), false},
		{"WebhookPayload", `{"type": "client.deleted", "data": ` + client + `, ` + org + `}}`, false},
		{"WebhookPayload", event("session.recorded", `{"session_uid": "0TzQ7xVbWcE4nKd8ZqR3", "user_uid": "0TzQ5pVbWcE4nKd8ZqR2",
			"activity": "Running", "time": "2026-12-07T09:30:00.000Z", "duration": 1800, "created_at": "2026-12-07T10:00:00.000Z", `+org+`}`), true},
		{"WebhookPayload", event("staff.removed", `{`+staff+`"status": "Removed", `+org+`}`), true},
		{"WebhookPayload", event("staff.deactivated", `{`+staff+`"status": "Deactivated", `+org+`}`), true},
		{"WebhookPayload", event("staff.joined", `{`+staff+`"status": "active", `+org+`}`), false},
		{"WebhookPayload", event("staff.joined", `{`+staff+`"status": "Active"}`), false},
		{"WebhookPayload", event("invitation.created", `{"status": "pending", `+invitation+`}`), true},
		{"WebhookPayload", event("invitation.accepted", `{"status": "accepted", `+invitation+`}`), true},
		{"WebhookPayload", event("invitation.declined", `{"status": "declined", "invite_token": "Gk2Lm9Np4Qr7St1Uv6Wx3Yz8Ab5Cd0Ef", `+invitation+`}`), false},
		{"WebhookPayload", event("invitation.declined", `{"status": "expired", `+invitation+`}`), false},
	})
}
