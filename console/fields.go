package console

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"roster"
)

// The client form and the client page derive from roster's field registry:
// a field added there appears here, labelled with its API name's plain
// words and checked by the API's own parsing.

// formField is one field of the client form.
type formField struct {
	Name, Label string
	Input       string // the input's type: text, email, number; "select" and "checkboxes" have Options
	Step        string // of a number: 1 or any
	Min, Max    int64
	MaxLength   int64
	Required    bool
	Value       string
	Options     []option
	Error       string // the API's message about this field
	Focus       bool   // the first field in error
}

type option struct {
	Value, Label string
	Selected     bool
}

// label is a field's API name in plain words: display_name is
// "Display name", shoeSize "Shoe size".
func label(name string) string {
	var b strings.Builder
	for i, r := range name {
		switch {
		case i == 0:
			b.WriteRune(unicode.ToUpper(r))
		case r == '_':
			b.WriteByte(' ')
		case unicode.IsUpper(r):
			b.WriteByte(' ')
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// genders are the values roster.ParseGender takes, as stored.
var genders = []string{"male", "female"}

// clientForm returns the form's fields with the values of f, or, when
// posted is set, the values a form posted; errs are the fields' errors.
func clientForm(f *roster.ClientFields, posted url.Values, errs map[string]string) []formField {
	out := make([]formField, 0, len(roster.Fields))
	focused := false
	for i := range roster.Fields {
		spec := &roster.Fields[i]
		ff := formField{Name: spec.Name, Label: label(spec.Name), Required: spec.Required, Error: errs[spec.Name]}
		if ff.Error != "" && !focused {
			ff.Focus, focused = true, true
		}
		chosen := chosenValues(spec, f, posted)
		switch spec.Type {
		case roster.TypeEmail:
			ff.Input = "email"
		case roster.TypeText:
			ff.Input, ff.MaxLength = "text", spec.Max
		case roster.TypeInteger, roster.TypeMeasure:
			ff.Input, ff.Min, ff.Max, ff.Step = "number", spec.Min, spec.Max, "any"
			if spec.Type == roster.TypeInteger {
				ff.Step = "1"
			}
		case roster.TypeGender:
			ff.Input, ff.Options = "select", options(genders, chosen)
		case roster.TypeActivities:
			ff.Input, ff.Options = "checkboxes", options(roster.Activities, chosen)
		}
		if len(chosen) > 0 && ff.Options == nil {
			ff.Value = chosen[0]
		}
		out = append(out, ff)
	}
	return out
}

// chosenValues are a field's values as a form carries them: those posted,
// or those of f.
func chosenValues(spec *roster.FieldSpec, f *roster.ClientFields, posted url.Values) []string {
	if posted != nil {
		return posted[spec.Name]
	}
	if list, ok := spec.Ref(f).(*[]string); ok {
		return *list
	}
	if !spec.IsSet(f) {
		return nil
	}
	return []string{spec.Text(f)}
}

func options(values, chosen []string) []option {
	out := make([]option, len(values))
	for i, v := range values {
		out[i] = option{Value: v, Label: v, Selected: slices.Contains(chosen, v)}
	}
	return out
}

// rawFields turns a posted client form into the raw values the API's
// parsing takes: a string per field, and the checked activities as a list.
func rawFields(posted url.Values) map[string]any {
	raw := make(map[string]any, len(roster.Fields))
	for i := range roster.Fields {
		spec := &roster.Fields[i]
		if spec.Type == roster.TypeActivities {
			list := make([]any, len(posted[spec.Name]))
			for j, a := range posted[spec.Name] {
				list[j] = a
			}
			raw[spec.Name] = list
			continue
		}
		raw[spec.Name] = posted.Get(spec.Name)
	}
	return raw
}

// fieldErrors checks each field of raw on its own with the API's parsing,
// parse, so that a form shows every field's error at once, where the API
// names the first. An empty required field is an error of its own
// parsing; what parse says about another field, missing here, is not.
func fieldErrors(raw map[string]any, parse func(raw map[string]any) error) map[string]string {
	errs := map[string]string{}
	for name, v := range raw {
		var e *roster.Error
		if err := parse(map[string]any{name: v}); errors.As(err, &e) && e.Field == name {
			errs[name] = e.Message
		}
	}
	return errs
}

// clientFieldError parses raw as the API parses a client's update.
func clientFieldError(raw map[string]any) error {
	_, err := roster.NewClientUpdate(raw)
	return err
}

// addFieldError records err against its field, if it names one, and
// reports whether it did.
func addFieldError(errs map[string]string, err error) bool {
	var e *roster.Error
	if !errors.As(err, &e) || e.Field == "" {
		return false
	}
	if _, ok := errs[e.Field]; !ok {
		errs[e.Field] = e.Message
	}
	return true
}

// shownField is one line of the client page.
type shownField struct{ Label, Value string }

// shownFields are every field of a client, as the client page shows them.
func shownFields(f *roster.ClientFields) []shownField {
	out := make([]shownField, 0, len(roster.Fields))
	for i := range roster.Fields {
		spec := &roster.Fields[i]
		v := ""
		switch p := spec.Ref(f).(type) {
		case *[]string:
			v = strings.Join(*p, ", ")
		default:
			v = spec.Text(f)
		}
		out = append(out, shownField{Label: label(spec.Name), Value: v})
	}
	return out
}
