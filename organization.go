package roster

import (
	"fmt"
	"slices"
	"strings"
)

// Plans are the plans PlanClientLimits knows, in the order they are offered.
var Plans = []string{"Free", "Pro", "Enterprise"}

// Organization is an organization's settings.
type Organization struct {
	UID           string
	CompanyName   string
	PaymentType   string // the plan
	SessionNumber int64  // analysis sessions it may still record
	Activities    []string
	ClientLimit   int64 // 0: unlimited
}

// NewOrganization is what bootstrap creates: an organization, its owner
// and the owner's first API key.
type NewOrganization struct {
	CompanyName   string
	PaymentType   string
	SessionNumber int64
	Activities    []string
	ClientLimit   int64
	OwnerEmail    string
	OwnerName     string
	Key           NewAPIKey
}

// OrganizationStatus is what a staff member sees of their organization:
// its settings, and who they are in it.
type OrganizationStatus struct {
	Organization
	AccountUID  string
	DisplayName string
	Role        string // as stored: Owner or Admin
}

// OrganizationUpdate is an operator's partial change of an organization's
// settings; a nil field is left as it is. A new plan brings its client limit.
type OrganizationUpdate struct {
	PaymentType   *string
	SessionNumber *int64
	Activities    *[]string
}

// Validate checks every field that is set.
func (u OrganizationUpdate) Validate() error {
	if u.PaymentType != nil {
		if err := CheckPlan(*u.PaymentType); err != nil {
			return Errorf(KindInvalid, "payment_type: %v", err)
		}
	}
	if u.SessionNumber != nil && *u.SessionNumber < 0 {
		return Errorf(KindInvalid, "session_number: must not be negative")
	}
	if u.Activities != nil {
		for _, a := range *u.Activities {
			if !slices.Contains(Activities, a) {
				return Errorf(KindInvalid, "activities: unknown activity %s: allowed are %s", jsonText(a), strings.Join(Activities, ", "))
			}
		}
	}
	return nil
}

// CheckPlan reports whether plan is one of Plans.
func CheckPlan(plan string) error {
	if _, ok := PlanClientLimits[plan]; !ok {
		return fmt.Errorf("unknown plan %s: allowed are %s", jsonText(plan), strings.Join(Plans, ", "))
	}
	return nil
}

// Changed names the settings the update sets, for the audit log.
func (u OrganizationUpdate) Changed() []string {
	var names []string
	if u.PaymentType != nil {
		names = append(names, "payment_type", "client_limit")
	}
	if u.SessionNumber != nil {
		names = append(names, "session_number")
	}
	if u.Activities != nil {
		names = append(names, "activity")
	}
	return names
}

// OrganizationUsage is how much of its plan an organization uses: its
// clients, deactivated ones too, as its client limit counts them, and the
// analysis sessions recorded for its clients.
type OrganizationUsage struct {
	Clients          int64
	AnalysisSessions int64
}
