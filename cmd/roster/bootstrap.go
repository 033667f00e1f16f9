package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"roster"
	"roster/auth"
)

func bootstrap(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbConfig
	fs := newFlagSet("bootstrap")
	db.register(fs)
	email := fs.String("email", "", "owner's email (required)")
	name := fs.String("display-name", "", "owner's display name (required)")
	company := fs.String("company", "", "organization's company name (required)")
	plan := fs.String("plan", "Free", "plan: Free, Pro or Enterprise")
	sessions := fs.Int64("sessions", 0, "analysis sessions the organization may record")
	activities := fs.String("activities", strings.Join(roster.Activities, ","), "comma-separated enabled activities")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	o, err := newOrganization(*email, *name, *company, *plan, *sessions, *activities)
	if err != nil {
		return err
	}
	key, keyID, hash := auth.NewAPIKey()
	o.Key = roster.NewAPIKey{KeyID: keyID, SecretHash: hash, Name: "bootstrap"}
	st, err := db.open(ctx, db.logger(stderr))
	if err != nil {
		return err
	}
	defer st.Close()
	orgUID, ownerUID, err := st.CreateOrganization(ctx, o)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(map[string]string{
		"uid": ownerUID, "organization_uid": orgUID, "api_key": key,
	})
}

func newOrganization(email, name, company, plan string, sessions int64, activities string) (roster.NewOrganization, error) {
	o := roster.NewOrganization{CompanyName: strings.TrimSpace(company), PaymentType: plan, SessionNumber: sessions,
		OwnerEmail: strings.TrimSpace(email), OwnerName: strings.TrimSpace(name)}
	switch {
	case o.OwnerEmail == "" || o.OwnerName == "" || o.CompanyName == "":
		return o, fmt.Errorf("--email, --display-name and --company are required")
	case sessions < 0:
		return o, fmt.Errorf("--sessions: must not be negative")
	}
	if err := roster.ValidateEmail(o.OwnerEmail); err != nil {
		return o, fmt.Errorf("--email: %v", err)
	}
	limit, ok := roster.PlanClientLimits[plan]
	if !ok {
		return o, fmt.Errorf("--plan: must be Free, Pro or Enterprise")
	}
	o.ClientLimit = limit
	list, err := roster.ParseActivities(jsonList(activities))
	if err != nil {
		return o, fmt.Errorf("--activities: %v", err)
	}
	o.Activities = list
	return o, nil
}

// jsonList turns "Running,Weightlifting" into a JSON array string.
func jsonList(csv string) string {
	var items []string
	for _, s := range strings.Split(csv, ",") {
		if s = strings.TrimSpace(s); s != "" {
			items = append(items, s)
		}
	}
	b, _ := json.Marshal(items)
	return string(b)
}
