// Package mailtest runs a real SMTP server on 127.0.0.1 for tests, so that
// they see mail exactly as an SMTP client delivers it.
package mailtest

import (
	"bytes"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"roster/clocktest"
)

// Message is a message as the server received it: the envelope and the raw
// data, headers included.
type Message struct {
	From string
	To   []string
	Data []byte
}

// Server is an SMTP server that accepts every message and keeps it, unless
// told to refuse them.
type Server struct {
	addr   string
	mu     sync.Mutex
	msgs   []Message
	refuse *smtp.SMTPError // answer to every RCPT TO; nil: accept
}

// Start serves SMTP on addr ("127.0.0.1:0" for any port) until t ends.
func Start(t testing.TB, addr string) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{addr: ln.Addr().String()}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{server: s}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// Addr is the host:port the server listens on.
func (s *Server) Addr() string { return s.addr }

// Refuse makes the server answer every recipient from now on with code,
// such as 550 (refused for good) or 451 (try again later), and message;
// code 0 makes it accept them again.
func (s *Server) Refuse(code int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = nil
	if code != 0 {
		s.refuse = &smtp.SMTPError{Code: code, Message: message}
	}
}

// Received returns the messages received so far, oldest first.
func (s *Server) Received() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// WaitFor waits until the server has received at least n messages and
// returns them all (see clocktest.Eventually).
func (s *Server) WaitFor(t testing.TB, n int) []Message {
	t.Helper()
	var got []Message
	clocktest.Eventually(t, fmt.Sprintf("SMTP server %s to receive %d messages", s.addr, n), func() bool {
		got = s.Received()
		return len(got) >= n
	})
	return got
}

type session struct {
	server *Server
	msg    Message
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.msg.From = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.server.mu.Lock()
	refuse := s.server.refuse
	s.server.mu.Unlock()
	if refuse != nil {
		return refuse
	}
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.msg.Data = data
	s.server.mu.Lock()
	s.server.msgs = append(s.server.msgs, s.msg)
	s.server.mu.Unlock()
	s.msg = Message{}
	return nil
}

func (s *session) Reset()        { s.msg = Message{} }
func (s *session) Logout() error { return nil }

// DownAddr returns an address on 127.0.0.1 where nothing listens, yet: a
// test can point a client at it and later Start a server there.
func DownAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Buffer is a log destination that a server's goroutines write while a
// test reads it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Read parses a received message as a mail reader would: its header, and
// its body with any quoted-printable encoding undone.
func Read(t testing.TB, m Message) (netmail.Header, string) {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("received message does not parse: %v\n%s", err, m.Data)
	}
	body := msg.Body
	if msg.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	return msg.Header, string(b)
}

// Mute is an SMTP server that accepts connections and never answers: not
// even the greeting a client waits for first.
type Mute struct {
	addr     string
	mu       sync.Mutex
	accepted int
}

// StartMute listens on 127.0.0.1 until t ends, then closes the connections
// it holds.
func StartMute(t testing.TB) *Mute {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &Mute{addr: ln.Addr().String()}
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			m.mu.Lock()
			m.accepted++
			conns = append(conns, c)
			m.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		m.mu.Lock()
		defer m.mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return m
}

// Addr is the host:port the server listens on.
func (m *Mute) Addr() string { return m.addr }

// WaitAccepted waits until the server has accepted n connections.
func (m *Mute) WaitAccepted(t testing.TB, n int) {
	t.Helper()
	clocktest.Eventually(t, fmt.Sprintf("%d connections to the mute SMTP server", n), func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.accepted >= n
	})
}
