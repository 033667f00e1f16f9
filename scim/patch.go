package scim

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// Operation is one operation of a PATCH request (RFC 7644 §3.5.2).
type Operation struct {
	Op    string // add, replace or remove, lower-cased
	Path  string
	Value any
}

// maxOperations caps a PATCH request's operations; the body limit caps
// their size.
const maxOperations = 100

// ParsePatch reads a PatchOp body.
func ParsePatch(body map[string]any) ([]Operation, error) {
	schemas, _ := get(body, "schemas")
	list, _ := schemas.([]any)
	if !slices.Contains(list, any(PatchSchema)) {
		return nil, Errorf(TypeInvalidSyntax, "schemas: must be [%q]", PatchSchema)
	}
	raw, _ := get(body, "Operations")
	items, ok := raw.([]any)
	if !ok || len(items) == 0 {
		return nil, Errorf(TypeInvalidSyntax, "Operations: must be a non-empty array of operations")
	}
	if len(items) > maxOperations {
		return nil, Errorf(TypeTooMany, "Operations: at most %d operations in one request", maxOperations)
	}
	ops := make([]Operation, len(items))
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, Errorf(TypeInvalidSyntax, "Operations[%d]: must be an object", i)
		}
		op, _ := get(m, "op")
		path, _ := get(m, "path")
		ops[i].Op, _ = op.(string)
		ops[i].Op = strings.ToLower(ops[i].Op)
		ops[i].Value, _ = get(m, "value")
		if ops[i].Path, ok = path.(string); path != nil && !ok {
			return nil, Errorf(TypeInvalidPath, "Operations[%d].path: must be a string", i)
		}
		if !slices.Contains([]string{"add", "replace", "remove"}, ops[i].Op) {
			return nil, Errorf(TypeInvalidSyntax, "Operations[%d].op: must be add, replace or remove", i)
		}
	}
	return ops, nil
}

// Apply applies ops to u, in order and all or none, and returns what the
// patched User sets.
func Apply(u User, ops []Operation) (Resource, error) {
	doc, err := userDoc(u)
	if err != nil {
		return Resource{}, err
	}
	touched := map[string]bool{}
	removed := false
	for _, op := range ops {
		if err := apply(doc, op, touched); err != nil {
			return Resource{}, err
		}
		removed = removed || op.Op == "remove"
	}
	// displayName and name, userName and the primary email, are one value
	// each: the one the operations changed is the new value. A name they
	// changed makes the display name as displayName says: name.formatted,
	// or else the parts, those the operations left being userDoc's.
	if touched["name"] && !touched["displayname"] {
		delete(doc, "displayName")
	}
	if touched["emails"] && !touched["username"] {
		delete(doc, "userName")
	}
	// Removing the last email, as by emails[type eq "work"], leaves no
	// userName, and removing the name's last part no display name: refused
	// as a removal of the attribute (see requiredValues).
	if removed {
		for _, required := range []struct {
			attr  string
			value func(map[string]any) (any, error)
		}{{"userName", userName}, {"displayName", displayName}} {
			if v, _ := required.value(doc); v == nil || v == "" {
				return Resource{}, Errorf(TypeMutability, "%s is required: the operations may not remove every value that makes it", required.attr)
			}
		}
	}
	return ParseUser(doc)
}

// requiredValues are the attributes a User must have (the schema's
// required ones, see Schemas), each with the sub-attribute that holds its
// value, "" for a simple attribute: userName, which the primary email
// repeats, and displayName, which name.formatted repeats. RFC 7644
// §3.5.2.2: "If an attribute is removed or becomes unassigned and is
// defined as a required attribute [...], the server SHALL return [...] a
// scimType error code of mutability".
var requiredValues = map[string]string{"userName": "", "emails": "value", "displayName": "", "name": "formatted"}

// removesRequired reports whether a remove of the attribute attr (as
// canonical names it), or of its sub-attribute sub, leaves a User without
// a required value.
func removesRequired(attr string, sub *string) bool {
	value, required := requiredValues[attr]
	return required && (sub == nil || value != "" && strings.EqualFold(*sub, value))
}

// userDoc is u as the JSON object the operations act on. Its name is not
// u's, which repeats displayName, but nameParts', so that an operation on
// one part keeps the other.
func userDoc(u User) (map[string]any, error) {
	b, err := json.Marshal(u)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // as requests' values are, for the field registry
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	doc["name"] = nameParts(u.DisplayName)
	return doc, nil
}

// nameParts is the name whose parts make the display name d: its first
// word the given name, the rest the family name, which keeps family names
// of several words ("van Dijk", "García Márquez") whole. Roster stores no
// parts; this is the guess docs/API.md ("SCIM 2.0") describes.
func nameParts(d string) map[string]any {
	given, family, _ := strings.Cut(strings.TrimSpace(d), " ")
	parts := map[string]any{"givenName": given}
	if family = strings.TrimSpace(family); family != "" {
		parts["familyName"] = family
	}
	return parts
}

func apply(doc map[string]any, op Operation, touched map[string]bool) error {
	// Without a path, the value's attributes are each a path of its own;
	// the enterprise extension's are too, as its URN's attributes.
	if whole := strings.EqualFold(op.Path, EnterpriseSchema); op.Path == "" || whole {
		if op.Op == "remove" && !whole {
			return Errorf(TypeNoTarget, "remove: a path is required")
		}
		values, ok := op.Value.(map[string]any)
		if !ok && op.Op != "remove" {
			return Errorf(TypeInvalidValue, "%s %s: the value must be an object of attributes", op.Op, cmp.Or(op.Path, "without a path"))
		}
		for k, v := range values {
			if whole {
				k = EnterpriseSchema + ":" + k
			}
			if err := apply(doc, Operation{Op: op.Op, Path: k, Value: v}, touched); err != nil {
				return err
			}
		}
		return nil
	}
	if strings.EqualFold(op.Path, AthleteSchema) {
		return applyAthlete(doc, op, touched)
	}
	p, err := filter.ParsePath([]byte(op.Path))
	if err != nil {
		return Errorf(TypeInvalidPath, "path %q does not parse: %v", op.Path, err)
	}
	attr, schema, err := resolve(p, op.Path)
	switch {
	case err != nil:
		return err
	case schema == AthleteSchema:
		return applyAthlete(doc, Operation{Op: op.Op, Path: "", Value: map[string]any{attr: op.Value}}, touched)
	case schema == EnterpriseSchema, !isStored(attr, subAttribute(p)):
		return nil // defined, but not stored: ignored (see userAttributes)
	}
	if op.Op == "remove" && p.ValueExpression == nil && removesRequired(attr, p.AttributePath.SubAttribute) {
		return Errorf(TypeMutability, "path %q: %s is required and cannot be removed", op.Path, attr)
	}
	touched[strings.ToLower(attr)] = true
	switch {
	case p.ValueExpression != nil:
		return applyFiltered(doc, attr, p, op)
	case p.AttributePath.SubAttribute != nil:
		set(subObject(doc, attr), *p.AttributePath.SubAttribute, op)
		return nil
	}
	set(doc, attr, op)
	return nil
}

// resolve checks a path against the schemas: it names the attribute attr,
// as its schema spells it, of the User, of the athlete extension, or of
// the enterprise extension; schema says which. The core schema's
// read-only attributes may not be changed.
func resolve(p filter.Path, path string) (attr, schema string, err error) {
	attrs, schema := userAttributes, UserSchema
	switch uri := p.AttributePath.URI(); {
	case strings.EqualFold(uri, AthleteSchema):
		return p.AttributePath.AttributeName, AthleteSchema, nil
	case strings.EqualFold(uri, EnterpriseSchema):
		attrs, schema = enterpriseAttributes, EnterpriseSchema
	case uri != "" && !strings.EqualFold(uri, UserSchema):
		return "", "", Errorf(TypeInvalidPath, "path %q: unknown schema %s", path, uri)
	}
	name := p.AttributePath.AttributeName
	if schema == UserSchema && hasName([]string{"id", "meta", "schemas"}, name) {
		return "", "", Errorf(TypeMutability, "path %q: %s is read-only", path, name)
	}
	attr, subs, ok := lookup(attrs, name)
	if sub := subAttribute(p); !ok || sub != "" && !hasName(subs, sub) {
		return "", "", Errorf(TypeInvalidPath, "path %q: no such attribute in %s", path, schema)
	}
	return attr, schema, nil
}

// subAttribute is the sub-attribute a path names, before a value filter
// (name.givenName) or after one (emails[type eq "work"].value); "" for
// none.
func subAttribute(p filter.Path) string {
	if p.AttributePath.SubAttribute != nil {
		return *p.AttributePath.SubAttribute
	}
	return p.SubAttributeName()
}

// set applies op to the attribute attr of m. add to a multi-valued
// attribute appends; otherwise add and replace set the value.
func set(m map[string]any, attr string, op Operation) {
	key := attr
	for k := range m {
		if strings.EqualFold(k, attr) {
			key = k
		}
	}
	// An object's sub-attributes are set one by one: "Sub-attributes that
	// are not specified in the "value" parameter are left unchanged" (RFC
	// 7644 §3.5.2.3), so that name {"familyName": …} keeps the given name.
	if sub, ok := m[key].(map[string]any); ok && op.Op != "remove" {
		if values, ok := op.Value.(map[string]any); ok {
			for k, v := range values {
				set(sub, k, Operation{Op: op.Op, Value: v})
			}
			return
		}
	}
	switch op.Op {
	case "remove":
		delete(m, key)
	case "add":
		if list, ok := m[key].([]any); ok {
			more, isList := op.Value.([]any)
			if !isList {
				more = []any{op.Value}
			}
			if slices.ContainsFunc(more, isPrimary) {
				for _, it := range list {
					if item, ok := it.(map[string]any); ok {
						delete(item, "primary") // one value is primary (RFC 7643 §2.4)
					}
				}
			}
			m[key] = append(list, more...)
			return
		}
		m[key] = op.Value
	default:
		m[key] = op.Value
	}
}

// isPrimary reports whether a multi-valued attribute's value is marked
// primary.
func isPrimary(v any) bool {
	item, _ := v.(map[string]any)
	p, _ := get(item, "primary")
	return p == true
}

// subObject is the complex attribute attr of m, made if absent.
func subObject(m map[string]any, attr string) map[string]any {
	sub, ok := m[attr].(map[string]any)
	if !ok {
		sub = map[string]any{}
		m[attr] = sub
	}
	return sub
}

// applyFiltered applies op to the items of the multi-valued attribute
// attr that the path's filter selects, as in emails[type eq "work"].value.
// add makes an item when none matches; replace and remove need one.
func applyFiltered(m map[string]any, attr string, p filter.Path, op Operation) error {
	eq, ok := p.ValueExpression.(*filter.AttributeExpression)
	if !ok || eq.Operator != filter.EQ {
		return Errorf(TypeInvalidPath, "path %v: only a filter of the form [attribute eq value] is supported", p)
	}
	items, _ := m[attr].([]any)
	sub := p.SubAttributeName()
	matched := false
	kept := items[:0:0]
	for _, it := range items {
		item, isObject := it.(map[string]any)
		v, _ := get(item, eq.AttributePath.AttributeName)
		if !isObject || v != eq.CompareValue {
			kept = append(kept, it)
			continue
		}
		matched = true
		switch {
		case op.Op == "remove" && sub == "":
			continue
		case sub == "":
			kept = append(kept, op.Value)
			continue
		}
		set(item, sub, op)
		kept = append(kept, item)
	}
	if !matched {
		if op.Op != "add" {
			return Errorf(TypeNoTarget, "path %v: no value matches the filter", p)
		}
		item := map[string]any{eq.AttributePath.AttributeName: eq.CompareValue}
		if sub != "" {
			item[sub] = op.Value
		}
		kept = append(kept, item)
	}
	m[attr] = kept
	return nil
}

// applyAthlete applies op to the athlete extension: op's value is an
// object of its attributes, or the whole extension is removed.
func applyAthlete(doc map[string]any, op Operation, touched map[string]bool) error {
	touched[strings.ToLower(AthleteSchema)] = true
	if op.Op == "remove" && strings.EqualFold(op.Path, AthleteSchema) {
		delete(doc, AthleteSchema)
		return nil
	}
	values, ok := op.Value.(map[string]any)
	if !ok && op.Op != "remove" {
		return Errorf(TypeInvalidValue, "%s: the value must be an object of its attributes", AthleteSchema)
	}
	ext := subObject(doc, AthleteSchema)
	for k, v := range values {
		set(ext, k, Operation{Op: op.Op, Value: v})
	}
	return nil
}
