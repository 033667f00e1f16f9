package store_test

import (
	"context"
	"slices"
	"testing"

	"roster"
	"roster/store"
	"roster/store/storetest"
)

// Every field of the registry has its column in both engines' migrated
// schema, of a type that holds the field's values, taking NULL exactly
// when the field may be empty.
func TestFieldColumnsExist(t *testing.T) {
	types := map[roster.FieldType][]string{
		roster.TypeText: {"text"}, roster.TypeEmail: {"text"}, roster.TypeGender: {"text"},
		roster.TypeActivities: {"text"}, // a JSON array
		roster.TypeInteger:    {"integer", "bigint"},
		roster.TypeMeasure:    {"real", "double precision"},
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		cols, err := st.ClientColumns(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, spec := range roster.Fields {
			col, ok := cols[spec.Column]
			if !ok {
				t.Errorf("%s: no column %s in the clients table", spec.Name, spec.Column)
				continue
			}
			if !slices.Contains(types[spec.Type], col.Type) {
				t.Errorf("%s: column %s is %s, want one of %v", spec.Name, spec.Column, col.Type, types[spec.Type])
			}
			// A list is empty rather than NULL.
			if optional := !spec.Required && spec.Type != roster.TypeActivities; col.Nullable != optional {
				t.Errorf("%s: column %s nullable %v, want %v", spec.Name, spec.Column, col.Nullable, optional)
			}
		}
	})
}
