package scim

import (
	"encoding/json"
	"strings"
)

// Projection is what the attributes or excludedAttributes parameter asks
// of a response's Users (RFC 7644 §3.9): by lower-cased attribute, the
// lower-cased sub-attributes named, "" standing for the whole attribute.
// id and schemas are always returned.
type Projection struct {
	only, except map[string]map[string]bool
}

// ParseProjection reads the parameters, comma-separated attribute paths.
func ParseProjection(attributes, excluded string) Projection {
	return Projection{only: projectionPaths(attributes), except: projectionPaths(excluded)}
}

func projectionPaths(list string) map[string]map[string]bool {
	if strings.TrimSpace(list) == "" {
		return nil
	}
	paths := map[string]map[string]bool{}
	for _, p := range strings.Split(list, ",") {
		p = strings.ToLower(strings.TrimSpace(p))
		p = strings.TrimPrefix(p, strings.ToLower(UserSchema)+":")
		top, sub := p, ""
		if ext := strings.ToLower(AthleteSchema); strings.HasPrefix(p, ext+":") {
			top, sub = ext, strings.TrimPrefix(p, ext+":")
		} else if i := strings.IndexByte(p, '.'); i >= 0 && !strings.HasPrefix(p, "urn:") {
			top, sub = p[:i], p[i+1:]
		}
		if paths[top] == nil {
			paths[top] = map[string]bool{}
		}
		paths[top][sub] = true
	}
	return paths
}

// Of is u as the projection shows it: u itself when it asks nothing.
func (p Projection) Of(u User) any {
	if p.only == nil && p.except == nil {
		return u
	}
	b, _ := json.Marshal(u)
	var m map[string]any
	json.Unmarshal(b, &m)
	for k, v := range m {
		key := strings.ToLower(k)
		if key == "id" || key == "schemas" {
			continue
		}
		if p.only != nil {
			subs := p.only[key]
			switch {
			case subs == nil:
				delete(m, k)
			case !subs[""]:
				m[k] = subAttributes(v, func(sub string) bool { return subs[sub] })
			}
		}
		if subs := p.except[key]; subs != nil {
			if subs[""] {
				delete(m, k)
				continue
			}
			m[k] = subAttributes(m[k], func(sub string) bool { return !subs[sub] })
		}
	}
	return m
}

// subAttributes keeps the sub-attributes of a complex value, or of each
// of a multi-valued attribute's values, that keep reports true of.
func subAttributes(v any, keep func(sub string) bool) any {
	switch val := v.(type) {
	case map[string]any:
		for k := range val {
			if !keep(strings.ToLower(k)) {
				delete(val, k)
			}
		}
	case []any:
		for _, it := range val {
			subAttributes(it, keep)
		}
	}
	return v
}
