package api_test

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"roster/api"
	"roster/store/storetest"
)

// hangGuard bounds the requests of the fault tests, which expect an
// answer well within their budget: its timeout only turns a hang into a
// failure, and is generous enough for any machine.
var hangGuard = &http.Client{Timeout: 2 * time.Minute}

// unavailable checks a 503 with Retry-After and the API's error body.
func unavailable(t testing.TB, r response) {
	t.Helper()
	expect(t, r, http.StatusServiceUnavailable)
	if got := r.Header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After %q, want 2", got)
	}
	if msg := r.errorText(t); !strings.Contains(msg, "unavailable") || !strings.Contains(msg, "try again in 2 seconds") {
		t.Errorf("error %q does not say the service is unavailable and when to try again", msg)
	}
}

// partitionProxy forwards TCP connections to a target until partitioned:
// then it holds what either side sends, forwarding nothing and closing
// nothing, as a network partition does; healed, it delivers what it held.
type partitionProxy struct {
	target string
	mu     sync.Mutex
	open   chan struct{} // closed while forwarding
}

// newPartitionProxy starts a proxy to databaseURL's server and returns it
// with the URL through it.
func newPartitionProxy(t *testing.T, databaseURL string) (*partitionProxy, string) {
	u, err := url.Parse(databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	p := &partitionProxy{target: u.Host, open: make(chan struct{})}
	if u.Port() == "" {
		p.target = net.JoinHostPort(u.Hostname(), "5432")
	}
	close(p.open)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.heal(); ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
	u.Host = ln.Addr().String()
	return p, u.String()
}

func (p *partitionProxy) partition() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.open = make(chan struct{})
}

func (p *partitionProxy) heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.open:
	default:
		close(p.open)
	}
}

// wait returns once the proxy forwards.
func (p *partitionProxy) wait() {
	p.mu.Lock()
	open := p.open
	p.mu.Unlock()
	<-open
}

func (p *partitionProxy) forward(c net.Conn) {
	p.wait()
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	go p.copy(up, c)
	p.copy(c, up)
}

// copy forwards src to dst while the proxy forwards, and then closes dst.
func (p *partitionProxy) copy(dst, src net.Conn) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		p.wait()
		if _, werr := dst.Write(buf[:n]); werr != nil || err != nil {
			return
		}
	}
}

// A PostgreSQL that stops answering without going down (a partition) no
// longer holds requests: reads, creates and the streamed list are answered
// 503 with Retry-After at the end of their budget, what was refused is
// not stored, and the store serves again once the network heals.
func TestPartitionedPostgresAnswers503(t *testing.T) {
	proxy, proxied := newPartitionProxy(t, storetest.DatabaseURL(t, "postgres"))
	st := storetest.OpenAt(t, t.TempDir(), proxied)
	t.Cleanup(func() { st.Close() })
	e := newEnv(t, st)
	// The requests the partition holds go to a server of their own with a
	// small budget, which keeps the test short; the others to e's, whose
	// default budget no healthy request nears however loaded the machine.
	cfg := e.cfg
	cfg.Budget = 300 * time.Millisecond
	tight := httptest.NewServer(api.New(st, cfg).Handler())
	t.Cleanup(tight.Close)
	before := e.create(prefixes[0], map[string]any{"email": "before@example.com", "display_name": "Before"})

	proxy.partition()
	for _, r := range []req{
		{Method: "GET", Path: prefixes[0] + "/" + before.UserUID},
		{Method: "POST", Path: prefixes[0] + "/", ContentType: "application/json",
			Body: []byte(`{"email":"during@example.com","display_name":"During"}`)},
		{Method: "GET", Path: prefixes[0] + "/?page=1"},
		{Method: "GET", Path: prefixes[0] + "/"}, // streamed: the budget runs until the first write
	} {
		r.Key = e.org.APIKey
		unavailable(t, e.doAt(tight.URL, hangGuard, r))
	}
	proxy.heal()

	if got := e.details(prefixes[0], before.UserUID); got.Email != "before@example.com" {
		t.Fatalf("after the partition, read %+v", got)
	}
	after := e.create(prefixes[0], map[string]any{"email": "after@example.com", "display_name": "After"})
	e.checkList(prefixes[0]+"/?q=example", []string{after.UserUID, before.UserUID})
}

// A disk that refuses SQLite's writes (here a file-size limit of zero,
// which fails every write with EFBIG as a full quota fails them with
// EDQUOT) is a 503 with Retry-After, not a 500; reads go on, the refused
// create leaves nothing, and writes succeed once the disk takes them.
func TestSQLiteDiskFaultAnswers503(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	before := e.create(prefixes[0], map[string]any{"email": "before@example.com", "display_name": "Before"})

	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	restore := func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(restore)
	// Go ignores the SIGXFSZ that comes with EFBIG.
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 0, Max: old.Max}); err != nil {
		t.Fatal(err)
	}
	refused := e.json("POST", prefixes[0]+"/", map[string]any{"email": "during@example.com", "display_name": "During"})
	read := e.get(prefixes[0] + "/" + before.UserUID)
	restore()
	unavailable(t, refused)
	expect(t, read, 200)

	after := e.create(prefixes[0], map[string]any{"email": "after@example.com", "display_name": "After"})
	e.checkList(prefixes[0]+"/?q=example", []string{after.UserUID, before.UserUID})
}

// streamServer serves e's store with e's configuration changed by option,
// on a listener whose connections have a small send buffer, so that a
// reader that never reads stalls the server after some kilobytes rather
// than after the kernel's megabytes. closed receives the client address of
// each connection the server closes.
func streamServer(t *testing.T, e *env, option func(*api.Config)) (srv *httptest.Server, closed <-chan string) {
	cfg := e.cfg
	option(&cfg)
	srv = httptest.NewUnstartedServer(api.New(e.st, cfg).Handler())
	srv.Listener = smallSendBuffers{srv.Listener}
	ch := make(chan string, 1000)
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateClosed {
			ch <- c.RemoteAddr().String()
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, ch
}

type smallSendBuffers struct{ net.Listener }

func (l smallSendBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		err = c.(*net.TCPConn).SetWriteBuffer(4096)
	}
	return c, err
}

// stall sends a GET of path with key over a connection with a small
// receive buffer, and reads nothing of the answer.
func stall(t *testing.T, srv *httptest.Server, path, key string) net.Conn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		cerr := c.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		return cmp.Or(cerr, err)
	}}
	c, err := d.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: roster\r\nAPI-KEY: %s\r\n\r\n", path, key); err != nil {
		t.Fatal(err)
	}
	return c
}

// stallStarted is stall once the answer began: its status line is read,
// and with it the server holds the stream's slot until the end.
func stallStarted(t *testing.T, srv *httptest.Server, path, key string) net.Conn {
	t.Helper()
	c := stall(t, srv, path, key)
	c.SetReadDeadline(time.Now().Add(hangGuard.Timeout))
	status := make([]byte, len("HTTP/1.1 200"))
	if _, err := io.ReadFull(c, status); err != nil || string(status) != "HTTP/1.1 200" {
		t.Fatalf("stalled %s: answer begins %q (%v), want a 200", path, status, err)
	}
	return c
}

// awaitClosed waits until the server closed the connections of conns.
func awaitClosed(t *testing.T, closed <-chan string, conns ...net.Conn) {
	t.Helper()
	waiting := map[string]bool{}
	for _, c := range conns {
		waiting[c.LocalAddr().String()] = true
	}
	guard := time.After(hangGuard.Timeout)
	for len(waiting) > 0 {
		select {
		case addr := <-closed:
			delete(waiting, addr)
		case <-guard:
			t.Fatalf("the server still holds %d stalled connections", len(waiting))
		}
	}
}

// importClients imports n generated clients with key, more than the
// socket buffers of streamServer and stall hold as JSON or CSV.
func importClients(t *testing.T, e *env, key string, n int) {
	t.Helper()
	imported(t, e.importAs(key, prefixes[0], "", "text/csv", bulkCSV("stall", n, nil), nil), n, 0)
}

// Readers that ask for the streamed list or the export and never read are
// dropped once a write has waited for them longer than the stream write
// timeout: their connections are closed with the answer cut short, and
// their slots are free again.
func TestStalledStreamReadersAreDropped(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		importClients(t, e, e.org.APIKey, 300)
		const slots = 8
		srv, closed := streamServer(t, e, func(c *api.Config) {
			c.StreamWriteTimeout = 100 * time.Millisecond
			c.StreamsPerCaller = slots
		})
		paths := []string{prefixes[0] + "/", prefixes[1] + "/export/?format=csv"}
		var stalled []net.Conn
		for i := range slots {
			stalled = append(stalled, stall(t, srv, paths[i%2], e.org.APIKey))
		}
		awaitClosed(t, closed, stalled...)
		for _, c := range stalled {
			c.SetReadDeadline(time.Now().Add(hangGuard.Timeout))
			res, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != 200 {
				t.Fatalf("a stalled reader's answer: status %d, want 200", res.StatusCode)
			}
			if body, err := io.ReadAll(res.Body); err == nil {
				t.Fatalf("a stalled reader got the whole answer (%d bytes) although the server dropped it", len(body))
			}
		}
		// Every slot is free: as many streams start again (and are
		// dropped in turn).
		var again []net.Conn
		for i := range slots {
			again = append(again, stallStarted(t, srv, paths[i%2], e.org.APIKey))
		}
		awaitClosed(t, closed, again...)
	})
}

// A caller has at most StreamsPerCaller streams open (the unpaged list and
// the export count alike): the next is a 429 with Retry-After, while a
// page, which is no stream, is served. The server has at most Streams
// open, beyond which any caller's is a 503. Closed streams free their
// slots.
func TestStreamsCapped(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		importClients(t, e, e.org.APIKey, 300)
		importClients(t, e, e.other.APIKey, 300)
		srv, closed := streamServer(t, e, func(c *api.Config) {
			c.StreamsPerCaller, c.Streams = 2, 3
			c.StreamWriteTimeout = time.Hour // only the test ends the stalled streams
		})
		get := func(path, key string) response {
			return e.doAt(srv.URL, hangGuard, req{Method: "GET", Path: path, Key: key})
		}
		mine := []net.Conn{
			stallStarted(t, srv, prefixes[0]+"/", e.org.APIKey),
			stallStarted(t, srv, prefixes[1]+"/export/", e.org.APIKey),
		}
		for _, path := range []string{prefixes[0] + "/", prefixes[0] + "/export/?format=csv"} {
			r := get(path, e.org.APIKey)
			expect(t, r, http.StatusTooManyRequests)
			if msg := r.errorText(t); r.Header.Get("Retry-After") != "5" || !strings.Contains(msg, "too many streamed answers") {
				t.Fatalf("%s beyond the caller's cap: Retry-After %q, error %q", path, r.Header.Get("Retry-After"), msg)
			}
		}
		expect(t, get(prefixes[0]+"/?page=1&per_page=50", e.org.APIKey), 200)

		theirs := stallStarted(t, srv, prefixes[0]+"/", e.other.APIKey)
		r := get(prefixes[0]+"/", e.other.APIKey)
		expect(t, r, http.StatusServiceUnavailable)
		if msg := r.errorText(t); r.Header.Get("Retry-After") != "5" || !strings.Contains(msg, "on this server") {
			t.Fatalf("beyond the server's cap: Retry-After %q, error %q", r.Header.Get("Retry-After"), msg)
		}

		all := append(mine, theirs)
		for _, c := range all {
			c.Close()
		}
		awaitClosed(t, closed, all...)
		var list struct{ Users []client }
		get(prefixes[0]+"/", e.org.APIKey).decode(t, &list)
		if uids := uidsOf(list.Users); len(uids) != 300 || slices.Contains(uids, "") {
			t.Fatalf("once the streams closed, the list holds %d clients, want 300", len(uids))
		}
	})
}
