package openapi

import (
	"bufio"
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"roster"
	"roster/openapi/openapitest"
)

// nonFields are the properties of a client object that are not fields of
// roster.Fields: the uid that names the client, and what Roster keeps about
// it. A photo is uploaded, not set as a field, and its thumbnail is made
// from it: neither is a registry field, and the thumbnail, which no seed
// shows, is in the document only where profile_photo is
// (TestThumbnailBesidePhoto). A create's send_claim_link is what to do
// with the new client, not a field of it; an export's client may carry its
// metric history, and a webhook event's its organization's uid.
var nonFields = []string{"user_uid", "profile_photo", "profile_photo_thumbnail", "notes", "last_session",
	"sessions_count", "status", "deactivated_at", "admin_uid", "created_at", "updated_at", "send_claim_link", "history",
	"organization_uid"}

// fieldNames returns names without the non-fields, sorted and without
// repeats.
func fieldNames(names []string) []string {
	names = slices.DeleteFunc(slices.Clone(names), func(n string) bool { return slices.Contains(nonFields, n) })
	slices.Sort(names)
	return slices.Compact(names)
}

// checkFields fails unless names, without the non-fields, are exactly the
// registry's fields.
func checkFields(t *testing.T, what string, names []string) {
	t.Helper()
	got, want := fieldNames(names), fieldNames(roster.FieldNames(0))
	if !slices.Equal(got, want) {
		missing := slices.DeleteFunc(slices.Clone(want), func(n string) bool { return slices.Contains(got, n) })
		extra := slices.DeleteFunc(slices.Clone(got), func(n string) bool { return slices.Contains(want, n) })
		t.Errorf("%s: not the registry's fields: missing %v, not in the registry %v", what, missing, extra)
	}
}

// Every client schema of the document, request or response, and the
// query-string update's parameters list exactly the registry's fields.
func TestClientSchemasListTheFields(t *testing.T) {
	doc := load(t)
	for _, name := range []string{"Client", "ClientSummary", "ClientDetails", "ClientFields", "ClientCreate",
		"ClientCreateMultipart", "ClientUpdate", "ClientUpdateMultipart", "ClientWithHistory"} {
		ref := doc.Components.Schemas[name]
		if ref == nil {
			t.Fatalf("no schema %s", name)
		}
		checkFields(t, "schema "+name, properties(ref.Value))
	}
	for _, prefix := range prefixes {
		path := prefix + "/"
		item := doc.Paths.Value(path)
		if item == nil || item.Put == nil {
			t.Fatalf("no PUT %s", path)
		}
		var query []string
		for _, p := range item.Put.Parameters {
			if p.Value.In == openapi3.ParameterInQuery {
				query = append(query, p.Value.Name)
			}
		}
		checkFields(t, "PUT "+path+" query parameters", query)
	}
}

// Every schema of the document that shows a client's profile_photo link
// shows its profile_photo_thumbnail link too, and no other schema does:
// the uploads' schemas carry the photo's file, never a thumbnail.
func TestThumbnailBesidePhoto(t *testing.T) {
	doc := load(t)
	links := 0
	for name, ref := range doc.Components.Schemas {
		photo := ref.Value.Properties["profile_photo"]
		thumb := ref.Value.Properties["profile_photo_thumbnail"]
		switch {
		case photo != nil && photo.Value.Format == "binary":
			if thumb != nil {
				t.Errorf("schema %s: an upload has a profile_photo_thumbnail", name)
			}
		case (photo == nil) != (thumb == nil):
			t.Errorf("schema %s: profile_photo %v, profile_photo_thumbnail %v; want both or neither", name, photo != nil, thumb != nil)
		case photo != nil:
			links++
			if !slices.Contains(ref.Value.Required, "profile_photo_thumbnail") {
				t.Errorf("schema %s: profile_photo_thumbnail is not required", name)
			}
		}
	}
	if links == 0 {
		t.Error("no schema shows a profile_photo link")
	}
}

// properties names a schema's properties, with those of the schemas it
// extends (allOf).
func properties(s *openapi3.Schema) []string {
	names := slices.Collect(maps.Keys(s.Properties))
	for _, ref := range s.AllOf {
		names = append(names, properties(ref.Value)...)
	}
	return names
}

// publicaFields are the registry's fields that the AiKYNETIX seeds do not
// show: Roster takes them from the Publica.la seed.
var publicaFields = []string{"external_id", "sessions_limit"}

// The client objects of the AiKYNETIX seeds (v1 /user-management, v2
// /client-management), request or response, hold only registry fields and
// non-fields, and together, with the Publica.la seed's, every registry
// field.
func TestSeedClientsListTheFields(t *testing.T) {
	v1, v2 := openapitest.Read(t, "000_9df076f09a14b67c.txt"), openapitest.Read(t, "001_02308a79b590223b.txt")
	publica := openapitest.Read(t, "004_7520d3f540b647d4.txt")
	if v1 == nil || v2 == nil || publica == nil {
		t.Skip("seeds not present")
	}
	all := slices.Clone(publicaFields)
	for _, name := range publicaFields {
		if !strings.Contains(string(publica), name) {
			t.Errorf("the Publica.la seed has no %s", name)
		}
	}
	registry := roster.FieldNames(0)
	objects := append(seedClients(string(v1)), seedClients(string(v2))...)
	if len(objects) < 10 {
		t.Fatalf("only %d client objects found in the seeds", len(objects))
	}
	for _, keys := range objects {
		for _, k := range keys {
			if !slices.Contains(registry, k) && !slices.Contains(nonFields, k) {
				t.Errorf("a seed's client has %s, which is neither a registry field nor a non-field: %v", k, keys)
			}
		}
		all = append(all, keys...)
	}
	checkFields(t, "the seeds' clients", all)
}

// seedClients returns the keys of each client a seed shows: every JSON
// object with a display_name, and every form body (a quoted line of
// name='value' pairs).
func seedClients(seed string) [][]string {
	var out [][]string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if _, ok := v["display_name"]; ok {
				out = append(out, slices.Collect(maps.Keys(v)))
			}
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	for rest := seed; strings.Contains(rest, "{"); {
		rest = rest[strings.IndexByte(rest, '{'):]
		dec := json.NewDecoder(strings.NewReader(rest))
		var v any
		if dec.Decode(&v) == nil {
			walk(v)
			rest = rest[dec.InputOffset():]
		} else {
			rest = rest[1:]
		}
	}
	sc := bufio.NewScanner(strings.NewReader(seed))
	for sc.Scan() {
		line := strings.Trim(sc.Text(), `"`)
		if form, err := url.ParseQuery(line); err == nil && form.Has("display_name") {
			out = append(out, slices.Collect(maps.Keys(form)))
		}
	}
	return out
}
