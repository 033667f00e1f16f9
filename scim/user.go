package scim

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"roster"
)

// The URNs of the schemas and messages Roster speaks.
const (
	UserSchema    = "urn:ietf:params:scim:schemas:core:2.0:User"
	AthleteSchema = "urn:roster:params:scim:schemas:extension:athlete:2.0:User"
	// EnterpriseSchema is RFC 7643 §4.3's extension, which identity
	// providers send by default; Roster stores none of its attributes.
	EnterpriseSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	ListSchema       = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	PatchSchema      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	ErrorSchema      = "urn:ietf:params:scim:api:messages:2.0:Error"
)

// User is a client as a SCIM User resource.
type User struct {
	Schemas      []string       `json:"schemas"`
	ID           string         `json:"id"`
	ExternalID   *string        `json:"externalId,omitempty"`
	UserName     string         `json:"userName"`
	DisplayName  string         `json:"displayName"`
	Name         Name           `json:"name"`
	Active       bool           `json:"active"`
	Emails       []MultiValue   `json:"emails"`
	PhoneNumbers []MultiValue   `json:"phoneNumbers,omitempty"`
	Athlete      map[string]any `json:"urn:roster:params:scim:schemas:extension:athlete:2.0:User,omitempty"`
	Meta         Meta           `json:"meta"`
}

// Name is a User's name; Roster keeps only the formatted one.
type Name struct {
	Formatted string `json:"formatted"`
}

// MultiValue is one value of a multi-valued attribute (emails,
// phoneNumbers).
type MultiValue struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary"`
}

// Meta is a resource's metadata (RFC 7643 §3.1).
type Meta struct {
	ResourceType string    `json:"resourceType"`
	Created      time.Time `json:"created"`
	LastModified time.Time `json:"lastModified"`
	Location     string    `json:"location"`
	Version      string    `json:"version"`
}

// Version is the weak entity tag of a client last modified at t.
func Version(t time.Time) string { return `W/"` + strconv.FormatInt(t.UnixNano(), 10) + `"` }

// ParseVersion returns the modification time an entity tag of Version
// names; ok is false for any other tag, whose zero time matches no client.
func ParseVersion(tag string) (t time.Time, ok bool) {
	tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
	n, err := strconv.ParseInt(strings.Trim(tag, `"`), 10, 64)
	if err != nil || !strings.HasPrefix(tag, `"`) || !strings.HasSuffix(tag, `"`) {
		return time.Time{}, false
	}
	return time.Unix(0, n).UTC(), true
}

// mapped is whether a client field is a User attribute: the core ones
// (UseSCIM) and the athlete's (UseOwn), not the organization's
// sessions_limit.
func mapped(spec *roster.FieldSpec) bool {
	return spec.Uses.Has(roster.UseSCIM) || spec.Uses.Has(roster.UseOwn)
}

// athleteFields are the fields of the athlete extension.
var athleteFields = func() []*roster.FieldSpec {
	var out []*roster.FieldSpec
	for i := range roster.Fields {
		if spec := &roster.Fields[i]; mapped(spec) && !spec.Uses.Has(roster.UseSCIM) {
			out = append(out, spec)
		}
	}
	return out
}()

// NewUser is c as a User whose resource is at location.
func NewUser(c *roster.Client, location string) User {
	u := User{Schemas: []string{UserSchema}, ID: c.UID, ExternalID: c.ExternalID, UserName: c.Email,
		DisplayName: c.DisplayName, Name: Name{Formatted: c.DisplayName}, Active: c.DeactivatedAt == nil,
		Emails: []MultiValue{{Value: c.Email, Type: "work", Primary: true}},
		Meta: Meta{ResourceType: "User", Created: c.CreatedAt, LastModified: c.UpdatedAt, Location: location,
			Version: Version(c.UpdatedAt)}}
	if c.Phone != nil {
		u.PhoneNumbers = []MultiValue{{Value: *c.Phone, Type: "mobile", Primary: true}}
	}
	for _, spec := range athleteFields {
		if v := fieldValue(spec, &c.ClientFields); v != nil {
			if u.Athlete == nil {
				u.Athlete = map[string]any{}
				u.Schemas = append(u.Schemas, AthleteSchema)
			}
			u.Athlete[spec.Name] = v
		}
	}
	return u
}

// fieldValue is the field's value in f as JSON shows it, nil when empty.
func fieldValue(spec *roster.FieldSpec, f *roster.ClientFields) any {
	switch p := spec.Ref(f).(type) {
	case **string:
		if *p != nil {
			return **p
		}
	case **int64:
		if *p != nil {
			return **p
		}
	case **float64:
		if *p != nil {
			return **p
		}
	case *[]string:
		if len(*p) > 0 {
			return *p
		}
	}
	return nil
}

// Resource is what a User body sets: every mapped field, and whether the
// client is active.
type Resource struct {
	Fields roster.ClientFields
	Active bool
}

// multi are the sub-attributes of a multi-valued attribute (RFC 7643
// §2.4).
var multi = []string{"value", "display", "type", "primary"}

// userAttributes are the attributes that the core User schema (RFC 7643
// §4.1) and every resource (§3.1) define, each with its sub-attributes:
// the names a User body or a PATCH path may use. Roster stores those that
// stored lists, and accepts and ignores the others, as a service provider
// may (RFC 7644 §3.3: "the server is free to alter and/or ignore POSTed
// content"), because identity providers send many of them by default and
// refusing them would fail every provisioning.
var userAttributes = map[string][]string{
	"schemas": nil, "id": nil, "externalId": nil, "meta": {"resourceType", "created", "lastModified", "location", "version"},
	"userName": nil, "name": {"formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"},
	"displayName": nil, "nickName": nil, "profileUrl": nil, "title": nil, "userType": nil, "preferredLanguage": nil,
	"locale": nil, "timezone": nil, "active": nil, "password": nil, "emails": multi, "phoneNumbers": multi, "ims": multi,
	"photos": multi, "entitlements": multi, "roles": multi, "x509Certificates": multi,
	"addresses": {"formatted", "streetAddress", "locality", "region", "postalCode", "country", "type", "primary"},
	"groups":    {"value", "$ref", "display", "type"},
}

// enterpriseAttributes are the enterprise extension's (RFC 7643 §4.3),
// all ignored.
var enterpriseAttributes = map[string][]string{"employeeNumber": nil, "costCenter": nil, "organization": nil,
	"division": nil, "department": nil, "manager": {"value", "$ref", "displayName"}}

// stored are the User attributes, and sub-attributes, that make a
// client's fields (the athlete extension's aside): what NewUser shows,
// and name's parts, which make the display name. id, meta and schemas are
// read-only; the password is ignored (Roster's clients have none).
var stored = []string{"externalId", "userName", "displayName", "name.formatted", "name.givenName", "name.familyName",
	"active", "emails", "phoneNumbers"}

// isStored reports whether the attribute attr, or its sub-attribute sub
// ("" for the whole attribute), is one Roster stores; case aside.
func isStored(attr, sub string) bool {
	return slices.ContainsFunc(stored, func(s string) bool {
		a, b, _ := strings.Cut(s, ".")
		return strings.EqualFold(a, attr) && (sub == "" || b == "" || strings.EqualFold(b, sub))
	})
}

// lookup finds the attribute name among attrs, case aside: its name as
// the schema spells it and its sub-attributes.
func lookup(attrs map[string][]string, name string) (canonical string, subs []string, ok bool) {
	for a, subs := range attrs {
		if strings.EqualFold(a, name) {
			return a, subs, true
		}
	}
	return "", nil, false
}

// ParseUser reads a User body, as POST and PUT send it: the attributes it
// leaves out are empty. Attribute names are matched case aside. Names that
// no schema defines are refused; the defined ones Roster does not store
// are ignored, their values unread.
func ParseUser(body map[string]any) (Resource, error) {
	for k, v := range body {
		_, _, core := lookup(userAttributes, k)
		switch {
		// Roster's own extension is read whether schemas declares it or
		// not, as its examples have always sent it.
		case core, strings.EqualFold(k, AthleteSchema):
		case strings.EqualFold(k, EnterpriseSchema):
			if err := checkEnterprise(body, v); err != nil {
				return Resource{}, err
			}
		default:
			return Resource{}, Errorf(TypeInvalidSyntax, "%s: unknown attribute of a User", k)
		}
	}
	raw := map[string]any{}
	var err error
	if raw["email"], err = userName(body); err != nil {
		return Resource{}, err
	}
	if raw["display_name"], err = displayName(body); err != nil {
		return Resource{}, err
	}
	if raw["phone"], err = primaryValue(body, "phoneNumbers"); err != nil {
		return Resource{}, err
	}
	raw["external_id"], _ = get(body, "externalId")
	if err := athleteValues(body, raw); err != nil {
		return Resource{}, err
	}
	fields, err := roster.NewClientFields(raw)
	if err != nil {
		return Resource{}, AttributeError(err)
	}
	r := Resource{Fields: fields, Active: true}
	if v, ok := get(body, "active"); ok && v != nil {
		if r.Active, err = boolValue(v); err != nil {
			return Resource{}, Errorf(TypeInvalidValue, "active: %v", err)
		}
	}
	return r, nil
}

// Update is the update that makes old's fields r's: the mapped fields
// that differ.
func (r Resource) Update(old *roster.ClientFields) roster.ClientUpdate {
	u := roster.ClientUpdate{ClientFields: r.Fields}
	for i := range roster.Fields {
		spec := &roster.Fields[i]
		if mapped(spec) && spec.Text(old) != spec.Text(&r.Fields) {
			u.Set |= roster.FieldsOf(roster.Field(i))
		}
	}
	return u
}

// get returns the attribute of m named name, case aside.
func get(m map[string]any, name string) (any, bool) {
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// userName is the email of a body: userName, or else the primary email.
func userName(body map[string]any) (any, error) {
	if v, ok := get(body, "userName"); ok && v != nil {
		return v, nil
	}
	return primaryValue(body, "emails")
}

// displayName is displayName, or else name.formatted, or else the given
// and family names joined by a space, those that are empty left out.
func displayName(body map[string]any) (any, error) {
	if v, ok := get(body, "displayName"); ok && v != nil {
		return v, nil
	}
	n, ok := get(body, "name")
	if !ok || n == nil {
		return nil, nil
	}
	name, ok := n.(map[string]any)
	if !ok {
		return nil, Errorf(TypeInvalidValue, "name: must be an object")
	}
	_, subs, _ := lookup(userAttributes, "name")
	for k := range name {
		if !hasName(subs, k) {
			return nil, Errorf(TypeInvalidSyntax, "name.%s: unknown attribute of a User", k)
		}
	}
	if v, ok := get(name, "formatted"); ok && v != nil {
		return v, nil
	}
	var parts []string
	for _, k := range []string{"givenName", "familyName"} {
		v, _ := get(name, k)
		if v == nil {
			continue
		}
		s, isString := v.(string)
		if !isString {
			return nil, Errorf(TypeInvalidValue, "name.%s: must be a string", k)
		}
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " "), nil
}

// hasName reports whether names holds name, case aside.
func hasName(names []string, name string) bool {
	return slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, name) })
}

// checkEnterprise checks the enterprise extension's value v in body: its
// URN declared in schemas, as RFC 7643 §3 asks of every extension a
// resource carries, and only the extension's attributes, whose values are
// ignored.
func checkEnterprise(body map[string]any, v any) error {
	if v == nil {
		return nil
	}
	schemas, _ := get(body, "schemas")
	list, _ := schemas.([]any)
	if !slices.ContainsFunc(list, func(s any) bool { urn, _ := s.(string); return strings.EqualFold(urn, EnterpriseSchema) }) {
		return Errorf(TypeInvalidSyntax, "%s: not declared in schemas", EnterpriseSchema)
	}
	ext, ok := v.(map[string]any)
	if !ok {
		return Errorf(TypeInvalidValue, "%s: must be an object", EnterpriseSchema)
	}
	for k := range ext {
		if _, _, ok := lookup(enterpriseAttributes, k); !ok {
			return Errorf(TypeInvalidSyntax, "%s:%s: unknown attribute", EnterpriseSchema, k)
		}
	}
	return nil
}

// primaryValue is the value of the primary (or else the first) item of a
// multi-valued attribute; nil when it has none.
func primaryValue(body map[string]any, attr string) (any, error) {
	v, ok := get(body, attr)
	if !ok || v == nil {
		return nil, nil
	}
	items, ok := v.([]any)
	if !ok {
		return nil, Errorf(TypeInvalidValue, "%s: must be an array of objects with a value", attr)
	}
	var first any
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, Errorf(TypeInvalidValue, "%s[%d]: must be an object with a value", attr, i)
		}
		value, _ := get(m, "value")
		if isPrimary(m) {
			return value, nil
		}
		if i == 0 {
			first = value
		}
	}
	return first, nil
}

// athleteValues copies the athlete extension's attributes into raw.
func athleteValues(body map[string]any, raw map[string]any) error {
	v, ok := get(body, AthleteSchema)
	if !ok || v == nil {
		return nil
	}
	ext, ok := v.(map[string]any)
	if !ok {
		return Errorf(TypeInvalidValue, "%s: must be an object", AthleteSchema)
	}
	for k, v := range ext {
		i := slices.IndexFunc(athleteFields, func(spec *roster.FieldSpec) bool { return strings.EqualFold(spec.Name, k) })
		if i < 0 {
			return Errorf(TypeInvalidSyntax, "%s:%s: unknown attribute", AthleteSchema, k)
		}
		raw[athleteFields[i].Name] = v
	}
	return nil
}

// attributeNames are the User attributes of the core fields, by the API's
// field name, for messages.
var attributeNames = map[string]string{"email": "userName", "display_name": "displayName", "phone": "phoneNumbers",
	"external_id": "externalId"}

// AttributeError is a field's error, of the registry's checks or of a
// store's write, as SCIM tells it: naming the User attribute, and a taken
// email or external_id as a uniqueness conflict (RFC 7644 §3.12).
func AttributeError(err error) error {
	var e *roster.Error
	if !errors.As(err, &e) || e.Field == "" {
		return err
	}
	attr, core := attributeNames[e.Field]
	if !core {
		attr = AthleteSchema + ":" + e.Field
	}
	msg := attr + strings.TrimPrefix(e.Message, e.Field)
	if e.Message == e.Field+": "+roster.TakenMessage(e.Field) {
		return &typed{TypeUniqueness, roster.Errorf(roster.KindConflict, "%s", msg)}
	}
	return &typed{TypeInvalidValue, &roster.Error{Kind: e.Kind, Message: msg, Field: attr}}
}

// boolValue reads a boolean, which some clients send as a string.
func boolValue(v any) (bool, error) {
	switch b := v.(type) {
	case bool:
		return b, nil
	case string:
		if p, err := strconv.ParseBool(strings.ToLower(b)); err == nil {
			return p, nil
		}
	}
	return false, fmt.Errorf("must be true or false")
}
