// Command roster-load drives a running Roster server to measure it: it
// creates clients, reads them by uid, pages through them, or streams the
// whole list (or any streamed path, such as an export), from concurrent
// workers for a bounded time, and prints the rate. It only ever talks to
// the URL it is given (loopback by default).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "Roster's base URL")
	key := flag.String("key", os.Getenv("KEY"), "API key (env KEY)")
	mode := flag.String("mode", "get", "create, get, page or list")
	n := flag.Int("n", 100000, "clients to create (mode create)")
	workers := flag.Int("workers", 16, "concurrent workers")
	duration := flag.Duration("duration", 10*time.Second, "how long get and page run")
	path := flag.String("path", "/", "what mode list reads, after /client-management/clients: e.g. /?order_by=display_name or /export/?format=csv")
	flag.Parse()
	l := &load{base: *base + "/client-management/clients", key: *key,
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *workers}}}
	var err error
	switch *mode {
	case "create":
		err = l.create(*n, *workers)
	case "get", "page":
		err = l.read(*mode, *workers, *duration)
	case "list":
		err = l.list(*path)
	default:
		err = fmt.Errorf("unknown mode %q", *mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "roster-load:", err)
		os.Exit(1)
	}
}

type load struct {
	base, key string
	client    *http.Client
}

func (l *load) do(method, url string, body []byte) (int, int64, error) {
	r, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	r.Header.Set("API-KEY", l.key)
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	res, err := l.client.Do(r)
	if err != nil {
		return 0, 0, err
	}
	defer res.Body.Close()
	n, err := io.Copy(io.Discard, res.Body)
	return res.StatusCode, n, err
}

// create makes n clients of the seed's shape (~585 bytes of JSON each).
func (l *load) create(n, workers int) error {
	var next atomic.Int64
	start := time.Now()
	err := parallel(workers, func() error {
		for i := int(next.Add(1)); i <= n; i = int(next.Add(1)) {
			body, _ := json.Marshal(map[string]any{
				"email": fmt.Sprintf("load%d-%d@example.com", start.UnixNano(), i), "display_name": fmt.Sprintf("User %d", i),
				"phone": "8328889011", "age": 20 + i%40, "gender": []string{"male", "female"}[i%2],
				"height": 174, "weight": 70, "ycom": 0.96, "leg_length": 0.91, "shoeSize": 6,
				"brand": "Fabletics", "shoeModel": "The Everyday Sneaker II",
				"preferable_activities": []string{[]string{"Running", "Vertical Jump", "Weightlifting", "Mobility Assessment"}[i%4]},
			})
			status, _, err := l.do("POST", l.base+"/", body)
			if err != nil {
				return err
			}
			if status != 201 {
				return fmt.Errorf("create: status %d", status)
			}
		}
		return nil
	})
	d := time.Since(start)
	fmt.Printf("created %d clients in %s: %.0f/s\n", n, d.Round(time.Millisecond), float64(n)/d.Seconds())
	return err
}

// uids collects the uids of every client from the streamed list.
func (l *load) uids() ([]string, error) {
	r, _ := http.NewRequest("GET", l.base+"/", nil)
	r.Header.Set("API-KEY", l.key)
	res, err := l.client.Do(r)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var list struct {
		Users []struct {
			UID string `json:"user_uid"`
		}
	}
	if err := json.NewDecoder(res.Body).Decode(&list); err != nil {
		return nil, err
	}
	out := make([]string, len(list.Users))
	for i, u := range list.Users {
		out[i] = u.UID
	}
	if len(out) < 10 {
		return nil, fmt.Errorf("only %d clients: create some first", len(out))
	}
	return out, nil
}

// read gets clients by uid, or filter pages of 5 after a random uid.
func (l *load) read(mode string, workers int, d time.Duration) error {
	uids, err := l.uids()
	if err != nil {
		return err
	}
	var count atomic.Int64
	deadline := time.Now().Add(d)
	err = parallel(workers, func() error {
		for time.Now().Before(deadline) {
			uid := uids[rand.IntN(len(uids)-5)]
			url := l.base + "/" + uid
			if mode == "page" {
				url = l.base + "/filter/?limit=5&start_after_id=" + uid
			}
			status, _, err := l.do("GET", url, nil)
			if err != nil {
				return err
			}
			if status != 200 {
				return fmt.Errorf("%s: status %d", url, status)
			}
			count.Add(1)
		}
		return nil
	})
	fmt.Printf("%s: %d requests in %s: %.0f/s\n", mode, count.Load(), d, float64(count.Load())/d.Seconds())
	return err
}

// list streams every client once.
func (l *load) list(path string) error {
	start := time.Now()
	status, n, err := l.do("GET", l.base+path, nil)
	if err != nil {
		return err
	}
	fmt.Printf("list: status %d, %d bytes in %s\n", status, n, time.Since(start).Round(time.Millisecond))
	return nil
}

func parallel(workers int, fn func() error) error {
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil {
				once.Do(func() { first = err })
			}
		}()
	}
	wg.Wait()
	return first
}
