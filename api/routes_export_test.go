package api

// The route table and the guards' refusals, for the tests generated from
// them in package api_test.
var (
	Routes        = routes
	NoCredentials = errNoCredentials.Error()
	PersonOnly    = errPersonOnly.Error()
)
