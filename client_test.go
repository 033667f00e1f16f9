package roster_test

import (
	"reflect"
	"testing"
	"time"

	"roster"
)

// TestCloneSharesNothing: every pointer and slice of a clone, however deep,
// points elsewhere than the original's and holds the same value, so that a
// new field of a pointer type cannot be forgotten by Clone.
func TestCloneSharesNothing(t *testing.T) {
	var c roster.Client
	fill(reflect.ValueOf(&c).Elem())
	clone := c.Clone()
	if !reflect.DeepEqual(c, clone) {
		t.Fatalf("the clone differs:\n%+v\n%+v", c, clone)
	}
	shared(t, "Client", reflect.ValueOf(c), reflect.ValueOf(clone))
}

// fill sets every pointer and slice under v to a value of its own.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Unix(1, 0)))
			return
		}
		for i := range v.NumField() {
			fill(v.Field(i))
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.String:
		v.SetString("x")
	}
}

// shared fails t for each pointer or slice that a and b share.
func shared(t *testing.T, path string, a, b reflect.Value) {
	t.Helper()
	switch a.Kind() {
	case reflect.Struct:
		if a.Type() == reflect.TypeFor[time.Time]() {
			return // a value: its location is shared by every copy
		}
		for i := range a.NumField() {
			shared(t, path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
		}
	case reflect.Pointer, reflect.Slice:
		if a.Pointer() == b.Pointer() {
			t.Errorf("%s: the clone shares it", path)
		}
		if a.Kind() == reflect.Pointer {
			shared(t, path, a.Elem(), b.Elem())
		}
	}
}
