package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"

	"roster"
	"roster/auth"
	"roster/store"
	"roster/store/storetest"
)

// runOrganization runs the organization command, which must succeed and
// print exactly one JSON object with exactly the documented fields.
func runOrganization(t *testing.T, db []string, args ...string) organizationJSON {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), append(append([]string{"organization"}, args...), db...), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(out.String(), "\n"); lines != 1 {
		t.Fatalf("organization printed %d lines: %q", lines, out.String())
	}
	var o organizationJSON
	dec := json.NewDecoder(&out)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		t.Fatalf("organization printed %q: %v", out.String(), err)
	}
	return o
}

// storedStatus reads the organization as the bootstrapped owner's key sees
// it, straight from the store rather than through the command.
func storedStatus(t *testing.T, dir, url string, b bootstrapped) roster.OrganizationStatus {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dir, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keyID, _, _ := auth.SplitAPIKey(b.APIKey)
	k, err := st.APIKeyByID(ctx, keyID)
	if err != nil {
		t.Fatal(err)
	}
	s, err := st.OrganizationStatus(ctx, k.Principal.OrgID, b.UID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOrganizationCommand(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			dir, url := t.TempDir(), storetest.DatabaseURL(t, engine)
			db := []string{"--data", dir}
			if url != "" {
				db = append(db, "--database-url", url)
			}
			b := runBootstrap(t, db, "--email", "owner@example.com", "--display-name", "Owner", "--company", "Acme",
				"--sessions", "3", "--activities", "Running")
			other := runBootstrap(t, db, "--email", "other@example.com", "--display-name", "Other", "--company", "Other Club")

			want := organizationJSON{OrganizationUID: b.OrganizationUID, CompanyName: "Acme", PaymentType: "Free",
				SessionNumber: 3, Activity: []string{"Running"}, ClientLimit: 25}
			if got := runOrganization(t, db, "--uid", b.OrganizationUID); !reflect.DeepEqual(got, want) {
				t.Errorf("without changes:\n got %+v\nwant %+v", got, want)
			}
			want.SessionNumber = 10
			if got := runOrganization(t, db, "--uid", b.OrganizationUID, "--sessions", "10"); !reflect.DeepEqual(got, want) {
				t.Errorf("--sessions 10:\n got %+v\nwant %+v", got, want)
			}
			want.PaymentType, want.ClientLimit, want.Activity = "Enterprise", 0, []string{"Running", "Weightlifting"}
			got := runOrganization(t, db, "--uid", b.OrganizationUID, "--plan", "Enterprise", "--activities", "Running, Weightlifting")
			if !reflect.DeepEqual(got, want) {
				t.Errorf("--plan Enterprise --activities:\n got %+v\nwant %+v", got, want)
			}
			want.PaymentType, want.ClientLimit = "Pro", 1000
			if got := runOrganization(t, db, "--uid", b.OrganizationUID, "--plan", "Pro"); !reflect.DeepEqual(got, want) {
				t.Errorf("--plan Pro:\n got %+v\nwant %+v", got, want)
			}

			s := storedStatus(t, dir, url, b)
			if s.UID != b.OrganizationUID || s.PaymentType != "Pro" || s.ClientLimit != 1000 || s.SessionNumber != 10 ||
				!reflect.DeepEqual(s.Activities, want.Activity) || s.CompanyName != "Acme" {
				t.Errorf("stored: %+v", s)
			}
			if s := storedStatus(t, dir, url, other); s.SessionNumber != 0 || s.PaymentType != "Free" || len(s.Activities) != len(roster.Activities) {
				t.Errorf("the other organization changed: %+v", s)
			}

			// Refused changes print nothing and change nothing, the valid
			// flags beside a bad one included.
			for _, c := range []struct {
				args []string
				want string
			}{
				{[]string{"--uid", b.OrganizationUID, "--sessions", "1", "--plan", "Gold"}, `--plan: unknown plan "Gold": allowed are Free, Pro, Enterprise`},
				{[]string{"--uid", b.OrganizationUID, "--activities", "Running,Swimming"}, "--activities: unknown activity \"Swimming\": allowed are Running, Vertical Jump, Weightlifting, Mobility Assessment"},
				{[]string{"--uid", b.OrganizationUID, "--sessions", "-1"}, "--sessions: must not be negative"},
				{[]string{"--uid", b.OrganizationUID, "--sessions", "many"}, `invalid value "many"`},
				{[]string{"--sessions", "5"}, "--uid is required"},
				{[]string{"--uid", "AAAAAAAAAAAAAAAAAAAA", "--sessions", "5"}, "organization AAAAAAAAAAAAAAAAAAAA not found"},
				{[]string{"--uid", b.OrganizationUID, "Pro"}, `unexpected argument "Pro"`},
			} {
				var out bytes.Buffer
				err := run(context.Background(), append(append([]string{"organization"}, c.args...), db...), &out, io.Discard)
				if err == nil || !strings.Contains(err.Error(), c.want) || out.Len() != 0 {
					t.Errorf("organization %v: err %v, output %q; want an error containing %q", c.args, err, out.String(), c.want)
				}
			}
			if got := runOrganization(t, db, "--uid", b.OrganizationUID); !reflect.DeepEqual(got, want) {
				t.Errorf("after refused changes:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}
