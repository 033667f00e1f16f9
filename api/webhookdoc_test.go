package api_test

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"roster/openapi"
)

// webhookDoc is the webhook of Roster's OpenAPI document.
var webhookDoc = sync.OnceValues(func() (*openapi3.Operation, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Document)
	if err != nil {
		return nil, err
	}
	return doc.Webhooks["event"].Post, nil
})

// checkWebhook reports on t a delivery whose headers or body do not match
// the OpenAPI document's webhook, so that real deliveries check the
// document.
func checkWebhook(t testing.TB, h http.Header, body []byte) {
	t.Helper()
	op, err := webhookDoc()
	if err != nil {
		t.Errorf("the OpenAPI document: %v", err)
		return
	}
	opts := []openapi3.SchemaValidationOption{openapi3.EnableJSONSchema2020(), openapi3.EnableFormatValidation()}
	for _, p := range op.Parameters {
		if err := p.Value.Schema.Value.VisitJSON(h.Get(p.Value.Name), opts...); err != nil {
			t.Errorf("webhook header %s: %q does not match the OpenAPI document: %v", p.Value.Name, h.Get(p.Value.Name), err)
		}
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Errorf("webhook body %s: %v", body, err)
		return
	}
	if err := op.RequestBody.Value.Content.Get("application/json").Schema.Value.VisitJSON(v, opts...); err != nil {
		t.Errorf("webhook body %s does not match the OpenAPI document: %v", body, err)
	}
}
