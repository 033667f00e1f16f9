// Package metrics is Roster's Prometheus registry: the Go runtime's and
// the process's collectors, the store's connection pools, mail backlog and
// group-commit batches, and the handler that serves them as GET /metrics.
// The API registers its own metrics (requests, sign-ins, imports) on the
// same registry. Each serve has a registry of its own, never the global
// one, so that tests can run several servers in one process.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"roster/store"
)

// New returns a registry of the runtime's, the process's and st's metrics.
func New(st *store.Store) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	batches := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "roster_store_batch_size",
		Help: "Transactions per commit of a group commit: writes (SQLite's), creates (client creates', both engines).",
		// maxBatch is 256 and maxCreates 64.
		Buckets: prometheus.ExponentialBuckets(1, 2, 9),
	}, []string{"kind"})
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		batches, storeCollector{st})
	// The observers are the vector's children, looked up once: a batch
	// then costs one observation.
	byKind := map[store.BatchKind]prometheus.Observer{}
	for _, k := range []store.BatchKind{store.Writes, store.Creates} {
		byKind[k] = batches.WithLabelValues(string(k))
	}
	st.ObserveBatches(func(kind store.BatchKind, n int) { byKind[kind].Observe(float64(n)) })
	return reg
}

// Handler serves reg in the Prometheus text format. A metric that fails to
// be collected (the database not answering) is logged and left out, and
// the others are served.
func Handler(reg *prometheus.Registry, log *slog.Logger) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError), ErrorHandling: promhttp.ContinueOnError,
		Registry: reg, // counts the scrapes and their errors
	})
}

// outboxTimeout bounds the outbox's query at a scrape.
const outboxTimeout = 5 * time.Second

// The store's metrics, read at each scrape.
var (
	connections = prometheus.NewDesc("roster_db_connections",
		"Database connections by pool and state (in_use, idle).", []string{"pool", "state"}, nil)
	waits = prometheus.NewDesc("roster_db_connection_waits_total",
		"Times a caller waited for a database connection because the pool had none free.", []string{"pool"}, nil)
	waited = prometheus.NewDesc("roster_db_connection_wait_seconds_total",
		"Time callers spent waiting for a database connection.", []string{"pool"}, nil)
	outboxPending = prometheus.NewDesc("roster_mail_outbox_pending",
		"Mail messages not yet sent.", nil, nil)
	outboxOldest = prometheus.NewDesc("roster_mail_outbox_oldest_pending_age_seconds",
		"How long the oldest message not yet sent has waited; 0 when none waits.", nil, nil)
	outboxDead = prometheus.NewDesc("roster_mail_dead",
		"Mail messages given up on: refused for good, or failing for longer than --mail-give-up-after.", nil, nil)
	webhooksPending = prometheus.NewDesc("roster_webhook_deliveries_pending",
		"Webhook deliveries neither delivered nor given up on.", nil, nil)
	webhooksDead = prometheus.NewDesc("roster_webhook_deliveries_dead",
		"Webhook deliveries given up on: failing for 3 days, or to an endpoint a 410 disabled.", nil, nil)
)

// storeCollector reads the store's pools and mail backlog at scrape time.
type storeCollector struct{ st *store.Store }

func (c storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{connections, waits, waited, outboxPending, outboxOldest, outboxDead,
		webhooksPending, webhooksDead} {
		ch <- d
	}
}

func (c storeCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.st.Pools() {
		ch <- prometheus.MustNewConstMetric(connections, prometheus.GaugeValue, float64(p.InUse), p.Name, "in_use")
		ch <- prometheus.MustNewConstMetric(connections, prometheus.GaugeValue, float64(p.Idle), p.Name, "idle")
		ch <- prometheus.MustNewConstMetric(waits, prometheus.CounterValue, float64(p.Waits), p.Name)
		ch <- prometheus.MustNewConstMetric(waited, prometheus.CounterValue, p.WaitDuration.Seconds(), p.Name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), outboxTimeout)
	defer cancel()
	b, err := c.st.OutboxStats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(outboxPending, err)
		return
	}
	var age time.Duration
	if !b.OldestPending.IsZero() {
		age = max(0, time.Since(b.OldestPending))
	}
	ch <- prometheus.MustNewConstMetric(outboxPending, prometheus.GaugeValue, float64(b.Pending))
	ch <- prometheus.MustNewConstMetric(outboxOldest, prometheus.GaugeValue, age.Seconds())
	ch <- prometheus.MustNewConstMetric(outboxDead, prometheus.GaugeValue, float64(b.Dead))
	pending, dead, err := c.st.WebhookStats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(webhooksPending, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(webhooksPending, prometheus.GaugeValue, float64(pending))
	ch <- prometheus.MustNewConstMetric(webhooksDead, prometheus.GaugeValue, float64(dead))
}
