package scim

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	filter "github.com/scim2/filter-parser/v2"
)

// Attr is a User attribute that a filter or sortBy may name.
type Attr int

// The attributes a filter may name; emails.value is userName.
const (
	AttrUserName Attr = iota + 1
	AttrExternalID
	AttrDisplayName
	AttrActive
	AttrCreated
	AttrLastModified
)

// attrNames are the attributes by their lower-cased names, with and
// without the core schema's URN.
var attrNames = map[string]Attr{
	"username":          AttrUserName,
	"emails.value":      AttrUserName,
	"emails":            AttrUserName, // a multi-valued attribute's value (RFC 7644 §3.4.2.2)
	"externalid":        AttrExternalID,
	"displayname":       AttrDisplayName,
	"name.formatted":    AttrDisplayName,
	"active":            AttrActive,
	"meta.created":      AttrCreated,
	"meta.lastmodified": AttrLastModified,
}

// AttrNamed returns the attribute a path names, case aside.
func AttrNamed(path string) (Attr, bool) {
	p := strings.ToLower(path)
	if rest, ok := strings.CutPrefix(p, strings.ToLower(UserSchema)+":"); ok {
		p = rest
	}
	a, ok := attrNames[p]
	return a, ok
}

// Op is a comparison of a filter (RFC 7644 §3.4.2.2).
type Op string

// The comparisons Roster evaluates.
const (
	OpEq Op = "eq"
	OpNe Op = "ne"
	OpCo Op = "co"
	OpSw Op = "sw"
	OpEw Op = "ew"
	OpPr Op = "pr"
	OpGt Op = "gt"
	OpGe Op = "ge"
	OpLt Op = "lt"
	OpLe Op = "le"
)

// Logic joins a condition's parts.
type Logic string

// The logical operators; Compare is a leaf.
const (
	Compare Logic = ""
	And     Logic = "and"
	Or      Logic = "or"
	Not     Logic = "not"
)

// Cond is a filter as a tree: a comparison of an attribute with a value,
// or the and, or or not of its parts (a chain of one operator, as in
// a or b or c, is one node with all its parts). Value is a string (userName,
// externalId, displayName), a bool (active) or a time (meta dates); none
// for pr.
type Cond struct {
	Logic Logic
	Parts []Cond
	Attr  Attr
	Op    Op
	Value any
}

// maxFilter bounds a filter's length, and so the work of the parser,
// which walks it recursively.
const maxFilter = 4096

// maxDepth and maxComparisons bound the tree the SQL is built from: the
// engines refuse an expression nested too deep (SQLite at a depth of
// 1000, which 600 nots reach well under maxFilter) and the query grows
// with each comparison.
const (
	maxDepth       = 32
	maxComparisons = 64
)

// ParseFilter parses a filter into a tree of the comparisons Roster can
// evaluate; anything else is an invalidFilter error.
func ParseFilter(text string) (*Cond, error) {
	if len(text) > maxFilter {
		return nil, Errorf(TypeInvalidFilter, "filter: at most %d bytes", maxFilter)
	}
	// The engines refuse to compare with invalid UTF-8 (PostgreSQL fails
	// the query), and no User's value holds it.
	if !utf8.ValidString(text) {
		return nil, Errorf(TypeInvalidFilter, "filter: not valid UTF-8")
	}
	exp, err := filter.ParseFilter([]byte(text))
	if err != nil {
		return nil, Errorf(TypeInvalidFilter, "filter %q does not parse: %v", text, err)
	}
	c, err := condOf(exp)
	if err != nil {
		return nil, err
	}
	if d := c.depth(); d > maxDepth {
		return nil, Errorf(TypeInvalidFilter, "filter: and, or and not nested %d deep, at most %d", d, maxDepth)
	}
	if n := c.comparisons(); n > maxComparisons {
		return nil, Errorf(TypeInvalidFilter, "filter: %d comparisons, at most %d", n, maxComparisons)
	}
	return &c, nil
}

func condOf(exp filter.Expression) (Cond, error) {
	switch e := exp.(type) {
	case *filter.LogicalExpression:
		logic := Logic(strings.ToLower(string(e.Operator)))
		c := Cond{Logic: logic}
		for _, side := range []filter.Expression{e.Left, e.Right} {
			part, err := condOf(side)
			if err != nil {
				return Cond{}, err
			}
			if part.Logic == logic {
				c.Parts = append(c.Parts, part.Parts...)
			} else {
				c.Parts = append(c.Parts, part)
			}
		}
		return c, nil
	case *filter.NotExpression:
		inner, err := condOf(e.Expression)
		return Cond{Logic: Not, Parts: []Cond{inner}}, err
	case *filter.AttributeExpression:
		return comparison(e)
	case *filter.ValuePath:
		return Cond{}, Errorf(TypeInvalidFilter, "filter: %v: value filters on multi-valued attributes are not supported", e)
	}
	return Cond{}, Errorf(TypeInvalidFilter, "filter: unsupported expression %v", exp)
}

// depth is how deep c's and, or and not nest; a comparison's is 0.
func (c Cond) depth() int {
	d := 0
	for _, p := range c.Parts {
		d = max(d, p.depth()+1)
	}
	return d
}

// comparisons counts c's comparisons.
func (c Cond) comparisons() int {
	if c.Logic == Compare {
		return 1
	}
	n := 0
	for _, p := range c.Parts {
		n += p.comparisons()
	}
	return n
}

// The operators each attribute's type allows.
var (
	stringOps = []Op{OpEq, OpNe, OpCo, OpSw, OpEw, OpPr}
	boolOps   = []Op{OpEq, OpNe, OpPr}
	timeOps   = []Op{OpEq, OpNe, OpGt, OpGe, OpLt, OpLe, OpPr}
)

func comparison(e *filter.AttributeExpression) (Cond, error) {
	path := e.AttributePath.String()
	attr, ok := AttrNamed(path)
	if !ok {
		return Cond{}, Errorf(TypeInvalidFilter, "filter: unknown or unfilterable attribute %q", path)
	}
	c := Cond{Attr: attr, Op: Op(strings.ToLower(string(e.Operator)))}
	ops := stringOps
	switch attr {
	case AttrActive:
		ops = boolOps
	case AttrCreated, AttrLastModified:
		ops = timeOps
	}
	if !slices.Contains(ops, c.Op) {
		return Cond{}, Errorf(TypeInvalidFilter, "filter: operator %s is not supported on %s", c.Op, path)
	}
	if c.Op == OpPr {
		return c, nil
	}
	var err error
	c.Value, err = filterValue(attr, path, e.CompareValue)
	return c, err
}

// filterValue checks that v has the type of attr.
func filterValue(attr Attr, path string, v any) (any, error) {
	switch attr {
	case AttrActive:
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return nil, Errorf(TypeInvalidFilter, "filter: %s compares with true or false, not %v", path, v)
	case AttrCreated, AttrLastModified:
		s, _ := v.(string)
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, Errorf(TypeInvalidFilter, "filter: %s compares with an RFC 3339 date-time string, not %v", path, v)
		}
		return t.UTC(), nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, Errorf(TypeInvalidFilter, "filter: %s compares with a string, not %v", path, v)
	}
	return s, nil
}

// Sort is a list's order: an attribute, ascending unless Descending.
type Sort struct {
	Attr       Attr // zero: creation order
	Descending bool
}

// ParseSort reads sortBy and sortOrder (RFC 7644 §3.4.2.3).
func ParseSort(by, order string) (Sort, error) {
	var s Sort
	if by != "" {
		a, ok := AttrNamed(by)
		if !ok || a == AttrActive {
			return s, Errorf(TypeInvalidValue, "sortBy: %q is not an attribute Users can be sorted by", by)
		}
		s.Attr = a
	}
	switch strings.ToLower(order) {
	case "", "ascending":
	case "descending":
		s.Descending = true
	default:
		return s, Errorf(TypeInvalidValue, "sortOrder: must be ascending or descending, not %q", order)
	}
	return s, nil
}
