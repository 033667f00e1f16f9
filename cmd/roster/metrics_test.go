package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"roster/internal/nettest"
	"roster/store/storetest"
)

// TestMetrics scrapes a real serve after a few requests: the requests are
// counted and timed by route pattern, never by path, so that no uid is a
// label; sign-in failures, imported rows, the store's pools, mail backlog
// and batches, and the runtime are there too.
func TestMetrics(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		db, _, _ := dbArgs(t, engine)
		owner := runBootstrap(t, db, "--email", "owner@example.com", "--display-name", "Owner", "--company", "Acme")
		s := startServe(t, db...)
		key := map[string]string{"API-KEY": owner.APIKey}

		status, body := s.call("POST", "/client-management/clients/", key, map[string]string{"email": "a@example.com", "display_name": "A"})
		var created struct {
			UserData struct {
				UserUID string `json:"user_uid"`
			} `json:"userData"`
		}
		if status != 201 || json.Unmarshal(body, &created) != nil || created.UserData.UserUID == "" {
			t.Fatalf("create: %d %s", status, body)
		}
		uid := created.UserData.UserUID
		missing := uid[:len(uid)-1] + map[bool]string{true: "B", false: "A"}[strings.HasSuffix(uid, "A")]
		for _, c := range []struct {
			method, path string
			want         int
		}{
			{"GET", "/client-management/clients/" + uid, 200},
			{"GET", "/client-management/clients/" + missing, 404},
			{"GET", "/no/such/" + uid, 404},
		} {
			if status, body := s.call(c.method, c.path, key, nil); status != c.want {
				t.Errorf("%s %s: %d %s, want %d", c.method, c.path, status, body, c.want)
			}
		}
		if status, body := s.call("POST", "/auth/login", nil, map[string]string{"email": "owner@example.com", "password": "not the password"}); status != 401 {
			t.Errorf("login with a wrong password: %d %s", status, body)
		}
		importCSV(t, s, owner.APIKey, "email,display_name\nb@example.com,B\nc@example.com,C\n")

		families := scrape(t, s.url+"/metrics")
		byID := "/client-management/clients/{user_uid}"
		for _, want := range []struct {
			route, method, code string
		}{{byID, "GET", "200"}, {byID, "GET", "404"}, {"unmatched", "GET", "404"}, {"/auth/login", "POST", "401"}, {"/client-management/clients/{$}", "POST", "201"}} {
			h := find(families, "http_request_duration_seconds", dto.MetricType_HISTOGRAM, "route", want.route, "method", want.method, "code", want.code)
			if h == nil || h.GetHistogram().GetSampleCount() != 1 {
				t.Errorf("http_request_duration_seconds%v: %v, want one observation", want, h)
			}
			c := find(families, "http_requests_total", dto.MetricType_COUNTER, "route", want.route, "method", want.method, "code", want.code)
			if c.GetCounter().GetValue() != 1 {
				t.Errorf("http_requests_total%v: %v, want 1", want, c)
			}
		}
		for name, mf := range families {
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if strings.Contains(l.GetValue(), uid) || strings.Contains(l.GetValue(), missing) {
						t.Errorf("%s has the uid in its label %s=%q", name, l.GetName(), l.GetValue())
					}
				}
			}
		}
		counters := map[string]float64{"roster_signin_failures_total": 1, "roster_signin_throttled_total": 0, "roster_imported_rows_total": 2}
		for name, want := range counters {
			if c := find(families, name, dto.MetricType_COUNTER); c.GetCounter().GetValue() != want {
				t.Errorf("%s = %v, want %v", name, c, want)
			}
		}
		pool := map[string]string{"sqlite": "sqlite_read", "postgres": "postgres"}[engine]
		if find(families, "roster_db_connections", dto.MetricType_GAUGE, "pool", pool, "state", "idle") == nil ||
			find(families, "roster_db_connection_waits_total", dto.MetricType_COUNTER, "pool", pool) == nil {
			t.Errorf("no connection pool metrics of pool %s", pool)
		}
		if b := find(families, "roster_store_batch_size", dto.MetricType_HISTOGRAM, "kind", "creates"); b.GetHistogram().GetSampleCount() < 1 {
			t.Errorf("roster_store_batch_size of creates: %v", b)
		}
		for _, name := range []string{"roster_mail_outbox_pending", "roster_mail_outbox_oldest_pending_age_seconds", "roster_mail_dead",
			"roster_webhook_deliveries_pending", "roster_webhook_deliveries_dead", "go_goroutines", "process_resident_memory_bytes"} {
			if find(families, name, dto.MetricType_GAUGE) == nil {
				t.Errorf("no gauge %s", name)
			}
		}
	})
}

// TestMetricsAddr: with --metrics-addr, /metrics is served there and no
// longer on the API's address.
func TestMetricsAddr(t *testing.T) {
	db, _, _ := dbArgs(t, "sqlite")
	addr := nettest.FreeAddr(t)
	s := startServe(t, append(db, "--metrics-addr", addr)...)
	if status, body := s.call("GET", "/metrics", nil, nil); status != 404 || !strings.Contains(string(body), "no such path") {
		t.Errorf("/metrics on the API's address: %d %s, want the API's 404", status, body)
	}
	if find(scrape(t, "http://"+addr+"/metrics"), "http_requests_total", dto.MetricType_COUNTER, "route", "unmatched", "code", "404") == nil {
		t.Error("the API's 404 is not counted on the metrics address")
	}
}

// importCSV imports csv with key and checks that every row was imported.
func importCSV(t *testing.T, s *server, key, csv string) {
	t.Helper()
	r, _ := http.NewRequest("POST", s.url+"/client-management/clients/import/", strings.NewReader(csv))
	r.Header.Set("API-KEY", key)
	r.Header.Set("Content-Type", "text/csv")
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct{ Imported int }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 201 || out.Imported != strings.Count(csv, "\n")-1 {
		t.Fatalf("import: %d, %+v, %v", res.StatusCode, out, err)
	}
}

// scrape reads url's metrics with Prometheus's own text parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, res.Header.Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return families
}

// find returns the metric of the family name, of type typ, that has the
// label pairs given, or nil.
func find(families map[string]*dto.MetricFamily, name string, typ dto.MetricType, labels ...string) *dto.Metric {
	mf := families[name]
	if mf.GetType() != typ {
		return nil
	}
	for _, m := range mf.GetMetric() {
		has := map[string]string{}
		for _, l := range m.GetLabel() {
			has[l.GetName()] = l.GetValue()
		}
		ok := true
		for i := 0; i < len(labels); i += 2 {
			ok = ok && has[labels[i]] == labels[i+1]
		}
		if ok {
			return m
		}
	}
	return nil
}

// TestMetricsAddrTaken: a --metrics-addr that is taken fails serve at
// start, as a taken --addr does.
func TestMetricsAddrTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	args := []string{"serve", "--data", t.TempDir(), "--addr", nettest.FreeAddr(t), "--metrics-addr", taken.Addr().String()}
	err = run(context.Background(), args, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--metrics-addr") {
		t.Errorf("serve with a taken --metrics-addr: %v", err)
	}
}
