// Package console is the staff console: server-rendered pages, under
// /console/, for the people who run an organization. It signs people in
// through the API's sign-in (the same throttle and sign-in sessions) and
// changes clients through the same domain rules (package roster) and store
// as the API: none of their rules is copied here. Pages work without
// JavaScript; the scripts under static/ only make them quicker to use.
package console

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"net/http"

	"roster"
	"roster/api"
	"roster/auth"
	"roster/store"
)

// Prefix is where the console is served.
const Prefix = "/console/"

// Config is what the console runs on: the API server it signs in through
// and shares its clock and error answers with, the same store, and the
// same access tokens.
type Config struct {
	API    *api.Server
	Store  *store.Store
	Tokens *auth.Tokens
	// Key is the secret the forms' CSRF tokens are derived from: the
	// access tokens' key serves, since the derivation keeps them apart.
	Key []byte
}

// Console serves the console's pages.
type Console struct {
	api     *api.Server
	st      *store.Store
	tokens  *auth.Tokens
	csrfKey []byte
	pages   pages
}

// New returns the console's handler, which serves every path under Prefix.
func New(c Config) http.Handler {
	mac := hmac.New(sha256.New, c.Key)
	mac.Write([]byte("roster console CSRF key"))
	con := &Console{api: c.API, st: c.Store, tokens: c.Tokens, csrfKey: mac.Sum(nil), pages: parsePages()}
	return framed(c.API, secureHeaders(http.NewCrossOriginProtection().Handler(con.routes())))
}

// routes is every page of the console, on one screen. Staff pages need a
// staff member signed in whose role may manage clients; their forms' POSTs
// need the session's CSRF token.
func (c *Console) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /console/static/", staticFiles())
	mux.Handle("GET /console/{$}", c.public(c.home))
	mux.Handle("GET /console/sign-in", c.public(c.signInPage))
	mux.Handle("POST /console/sign-in", c.public(c.signIn))
	mux.Handle("POST /console/sign-out", c.signedIn(c.signOut))
	mux.Handle("GET /console/clients", c.staff(c.clientList))
	mux.Handle("GET /console/clients/new", c.staff(c.newClient))
	mux.Handle("POST /console/clients", c.staff(c.createClient))
	mux.Handle("GET /console/clients/{uid}", c.staff(c.clientPage))
	mux.Handle("GET /console/clients/{uid}/edit", c.staff(c.editClient))
	mux.Handle("POST /console/clients/{uid}", c.staff(c.updateClient))
	mux.Handle("POST /console/clients/{uid}/note", c.staff(c.saveNote))
	mux.Handle("POST /console/clients/{uid}/deactivate", c.staff(c.setActive(false)))
	mux.Handle("POST /console/clients/{uid}/reactivate", c.staff(c.setActive(true)))
	mux.Handle("POST /console/clients/{uid}/force-logout", c.staff(c.forceLogout))
	mux.Handle("GET /console/clients/{uid}/delete", c.staff(c.confirmDelete))
	mux.Handle("POST /console/clients/{uid}/delete", c.staff(c.deleteClient))
	mux.Handle("POST /console/clients/{uid}/photo", c.staff(c.uploadPhoto))
	mux.Handle("POST /console/clients/{uid}/sessions", c.staff(c.recordSession))
	mux.Handle("POST /console/clients/{uid}/notes", c.staff(c.addNote))
	mux.Handle("POST /console/clients/{uid}/coaches/assign", c.staff(c.setCoach(true)))
	mux.Handle("POST /console/clients/{uid}/coaches/unassign", c.staff(c.setCoach(false)))
	mux.Handle("GET /console/import-export", c.staff(c.transferPage))
	mux.Handle("POST /console/import-export", c.upload(c.importClients))
	mux.Handle("GET /console/export", c.staff(c.exportClients))
	mux.Handle("GET /console/api-keys", c.may(roster.PermOwnAPIKeys, c.apiKeyList))
	mux.Handle("POST /console/api-keys", c.may(roster.PermOwnAPIKeys, c.createAPIKey))
	mux.Handle("GET /console/api-keys/{key_id}/revoke", c.may(roster.PermOwnAPIKeys, c.confirmRevoke))
	mux.Handle("POST /console/api-keys/{key_id}/revoke", c.may(roster.PermOwnAPIKeys, c.revokeAPIKey))
	mux.Handle("GET /console/audit", c.may(roster.PermAuditLog, c.auditLog))
	mux.Handle("GET /console/organization", c.may(roster.PermReadStaff, c.organization))
	mux.Handle("GET /console/staff", c.may(roster.PermReadStaff, c.staffPage))
	mux.Handle("POST /console/staff/invitations", c.may(roster.PermManageStaff, c.invite))
	mux.Handle("POST /console/staff/invitations/{token}/resend", c.may(roster.PermManageStaff, c.resendInvitation))
	mux.Handle("GET /console/staff/invitations/{token}/revoke", c.may(roster.PermManageStaff, c.confirmRevokeInvitation))
	mux.Handle("POST /console/staff/invitations/{token}/revoke", c.may(roster.PermManageStaff, c.revokeInvitation))
	mux.Handle("POST /console/staff/members/{uid}/role", c.may(roster.PermManageStaff, c.setRole))
	mux.Handle("POST /console/staff/members/{uid}/scope", c.may(roster.PermManageStaff, c.setScope))
	mux.Handle("GET /console/staff/members/{uid}/{change}", c.may(roster.PermManageStaff, c.confirmMemberChange))
	mux.Handle("POST /console/staff/members/{uid}/deactivate", c.may(roster.PermManageStaff, c.setMemberActive(false)))
	mux.Handle("POST /console/staff/members/{uid}/reactivate", c.may(roster.PermManageStaff, c.setMemberActive(true)))
	mux.Handle("POST /console/staff/members/{uid}/force-logout", c.may(roster.PermManageStaff, c.forceLogoutMember))
	mux.Handle("POST /console/staff/members/{uid}/remove", c.may(roster.PermManageStaff, c.removeMember))
	mux.Handle("GET /console/invitation", c.signedIn(c.invitationPage))
	mux.Handle("POST /console/invitation", c.signedIn(c.answerInvitation))
	mux.Handle("GET /console/account", c.signedIn(c.account))
	mux.Handle("POST /console/account/name", c.signedIn(c.setDisplayName))
	mux.Handle("POST /console/account/password", c.signedIn(c.changePassword))
	mux.Handle("GET /console/account/delete", c.signedIn(c.confirmDeleteAccount))
	mux.Handle("POST /console/account/delete", c.signedIn(c.deleteAccount))
	mux.Handle("GET /console/sign-in/provider", c.public(c.providerSignIn))
	mux.Handle("GET /console/sign-in/provider/callback", c.public(c.providerReturn))
	mux.Handle("GET /console/sign-up", c.public(c.signUpPage))
	mux.Handle("POST /console/sign-up", c.public(c.signUp))
	mux.Handle("GET /console/verify-email", c.public(c.verifyEmailPage))
	mux.Handle("POST /console/verify-email", c.public(c.verifyEmail))
	mux.Handle("POST /console/account/verify-email/resend", c.signedIn(c.resendVerification))
	mux.Handle("GET /console/password-reset", c.public(c.passwordResetPage))
	mux.Handle("POST /console/password-reset", c.public(c.passwordReset))
	mux.Handle("GET /console/password-reset/confirm", c.public(c.confirmResetPage))
	mux.Handle("POST /console/password-reset/confirm", c.public(c.confirmReset))
	mux.Handle("GET /console/account/clients/{uid}/edit", c.signedIn(c.editOwnClient))
	mux.Handle("POST /console/account/clients/{uid}", c.signedIn(c.updateOwnClient))
	mux.Handle("GET /console/account/clients/{uid}/unlink", c.signedIn(c.confirmOwnClient("unlink")))
	mux.Handle("POST /console/account/clients/{uid}/unlink", c.signedIn(c.unlinkOwnClient))
	mux.Handle("GET /console/account/clients/{uid}/delete", c.signedIn(c.confirmOwnClient("delete")))
	mux.Handle("POST /console/account/clients/{uid}/delete", c.signedIn(c.deleteOwnClient))
	mux.Handle("POST /console/account/link-invitations/{link_uid}", c.signedIn(c.respondLink))
	return c.notFoundPages(mux)
}

// contentSecurityPolicy lets pages load scripts, styles and images from
// Roster only, run no inline script or style, post forms only to Roster,
// and be framed by nobody. Images may also be blob: URLs, which the
// preview of a photo chosen for upload is (static/photo.js).
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// secureHeaders sets the headers every console answer carries.
func secureHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}

// notFoundPages answers a path that no page has, or a method a page does
// not take, with the console's own error page rather than ServeMux's text.
func (c *Console) notFoundPages(mux *http.ServeMux) http.Handler {
	return api.Unmatched(mux, func(w http.ResponseWriter, r *http.Request, status int) {
		err := errNoPage
		if status == http.StatusMethodNotAllowed {
			err = &statusError{http.StatusMethodNotAllowed, fmt.Sprintf("%s is not allowed here", r.Method)}
		}
		c.serve(func(http.ResponseWriter, *http.Request, *session) error { return err }).ServeHTTP(w, r)
	})
}

// statusError is an answer of HTTP's own that no error kind of the API
// has: 405.
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }
