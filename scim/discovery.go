package scim

import (
	"slices"

	"roster"
)

// MaxResults is the most Users a list answers with at once.
const MaxResults = 100

// The discovery schemas' URNs.
const (
	ServiceProviderConfigSchema = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	ResourceTypeSchema          = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	SchemaSchema                = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

type supported struct {
	Supported bool `json:"supported"`
}

// ServiceProviderConfig is what Roster's SCIM service does (RFC 7643 §5),
// at base (the /scim/v2 URL).
func ServiceProviderConfig(base string) map[string]any {
	return map[string]any{
		"schemas":        []string{ServiceProviderConfigSchema},
		"patch":          supported{true},
		"bulk":           map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":         map[string]any{"supported": true, "maxResults": MaxResults},
		"changePassword": supported{false},
		"sort":           supported{true},
		"etag":           supported{true},
		"authenticationSchemes": []map[string]any{{
			"type": "oauthbearertoken", "name": "API key as a bearer token", "primary": true,
			"description": "Authorization: Bearer <API key> of an Owner or Admin (rst_…); a signed-in staff member's bearer token is accepted too.",
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": base + "/ServiceProviderConfig"},
	}
}

// ResourceTypes are the resource types Roster serves: Users only.
func ResourceTypes(base string) []map[string]any {
	return []map[string]any{{
		"schemas": []string{ResourceTypeSchema}, "id": "User", "name": "User", "endpoint": "/Users",
		"description": "An organization's clients (athletes)", "schema": UserSchema,
		"schemaExtensions": []map[string]any{{"schema": AthleteSchema, "required": false}},
		"meta":             map[string]any{"resourceType": "ResourceType", "location": base + "/ResourceTypes/User"},
	}}
}

// attribute describes one attribute of a schema (RFC 7643 §7).
func attribute(name, typ string, required bool, mutability, uniqueness string, sub ...map[string]any) map[string]any {
	a := map[string]any{"name": name, "type": typ, "multiValued": false, "required": required,
		"caseExact": false, "mutability": mutability, "returned": "default", "uniqueness": uniqueness}
	if len(sub) > 0 {
		a["subAttributes"] = sub
	}
	return a
}

func multiValued(a map[string]any) map[string]any {
	a["multiValued"] = true
	return a
}

// Schemas are the User schema, as Roster maps it, and the athlete
// extension's, which the field registry describes: the attributes Roster
// stores, not those it accepts and ignores (see userAttributes).
func Schemas(base string) []map[string]any {
	valueParts := func() []map[string]any {
		return []map[string]any{attribute("value", "string", false, "readWrite", "none"),
			attribute("type", "string", false, "readWrite", "none"), attribute("primary", "boolean", false, "readWrite", "none")}
	}
	external := attribute("externalId", "string", false, "readWrite", "server")
	external["caseExact"] = true
	// name's parts make the display name when neither displayName nor
	// name.formatted is sent, and are not kept apart from it.
	part := func(name string) map[string]any {
		a := attribute(name, "string", false, "writeOnly", "none")
		a["returned"] = "never"
		return a
	}
	user := []map[string]any{
		attribute("userName", "string", true, "readWrite", "server"),
		external,
		attribute("displayName", "string", true, "readWrite", "none"),
		attribute("name", "complex", false, "readWrite", "none", attribute("formatted", "string", false, "readWrite", "none"),
			part("givenName"), part("familyName")),
		attribute("active", "boolean", false, "readWrite", "none"),
		multiValued(attribute("emails", "complex", false, "readWrite", "none", valueParts()...)),
		multiValued(attribute("phoneNumbers", "complex", false, "readWrite", "none", valueParts()...)),
	}
	var athlete []map[string]any
	for _, spec := range athleteFields {
		a := attribute(spec.Name, attributeType(spec.Type), false, "readWrite", "none")
		if spec.Type == roster.TypeActivities {
			a = multiValued(a)
			a["canonicalValues"] = slices.Clone(roster.Activities)
		}
		athlete = append(athlete, a)
	}
	schema := func(id, name, desc string, attrs []map[string]any) map[string]any {
		return map[string]any{"schemas": []string{SchemaSchema}, "id": id, "name": name, "description": desc,
			"attributes": attrs, "meta": map[string]any{"resourceType": "Schema", "location": base + "/Schemas/" + id}}
	}
	return []map[string]any{
		schema(UserSchema, "User", "A client (athlete) of the organization", user),
		schema(AthleteSchema, "Athlete", "A client's sport fields", athlete),
	}
}

// attributeType is the SCIM type of a field type.
func attributeType(t roster.FieldType) string {
	switch t {
	case roster.TypeInteger:
		return "integer"
	case roster.TypeMeasure:
		return "decimal"
	}
	return "string"
}
