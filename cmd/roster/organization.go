package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"roster"
)

// organizationJSON is what the organization command prints.
type organizationJSON struct {
	OrganizationUID string   `json:"organization_uid"`
	CompanyName     string   `json:"companyName"`
	PaymentType     string   `json:"payment_type"`
	SessionNumber   int64    `json:"session_number"`
	Activity        []string `json:"activity"`
	ClientLimit     int64    `json:"client_limit"`
}

// organization changes the settings of an organization that its flags
// name, and prints the organization; without such flags it only prints it.
func organization(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbConfig
	fs := newFlagSet("organization")
	db.register(fs)
	uid := fs.String("uid", "", "the organization's uid (required)")
	fs.String("plan", "", "new plan: Free, Pro or Enterprise; sets the plan's client limit too")
	fs.Int64("sessions", 0, "new number of analysis sessions the organization may record")
	fs.String("activities", "", "new comma-separated enabled activities, e.g. Running,Weightlifting")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *uid == "" {
		return fmt.Errorf("--uid is required")
	}
	u, err := organizationUpdate(fs)
	if err != nil {
		return err
	}
	st, err := db.open(ctx, db.logger(stderr))
	if err != nil {
		return err
	}
	defer st.Close()
	o, err := st.UpdateOrganization(ctx, *uid, u)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(organizationJSON{
		OrganizationUID: o.UID, CompanyName: o.CompanyName, PaymentType: o.PaymentType,
		SessionNumber: o.SessionNumber, Activity: o.Activities, ClientLimit: o.ClientLimit,
	})
}

// organizationUpdate turns the flags given, and only those, into an update:
// a flag left out leaves its setting alone.
func organizationUpdate(fs *flag.FlagSet) (roster.OrganizationUpdate, error) {
	var u roster.OrganizationUpdate
	var err error
	fs.Visit(func(f *flag.Flag) {
		if err != nil {
			return
		}
		switch f.Name {
		case "plan":
			plan := f.Value.String()
			if err = roster.CheckPlan(plan); err != nil {
				err = fmt.Errorf("--plan: %v", err)
			}
			u.PaymentType = &plan
		case "sessions":
			n := f.Value.(flag.Getter).Get().(int64)
			if n < 0 {
				err = fmt.Errorf("--sessions: must not be negative")
			}
			u.SessionNumber = &n
		case "activities":
			var list []string
			if list, err = roster.ParseActivities(jsonList(f.Value.String())); err != nil {
				err = fmt.Errorf("--activities: %v", err)
			}
			u.Activities = &list
		}
	})
	return u, err
}
