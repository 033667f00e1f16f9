// Package authcache keeps what the database said in memory: verified
// credentials, so that an authenticated request need not ask the database
// who is calling, and clients read by uid. It knows nothing of databases:
// its owner fills it from the database, drops an entry, or a whole group
// of them, whenever a write changes what they hold, and turns serving off
// whenever it may have missed such a write (see Cache.Stop).
package authcache

import (
	"container/list"
	"sync"
	"time"
)

// Cache maps keys to values of V, each tagged with the group it belongs to
// (a credential's account, a client's organization). It holds at most its
// size, and, with a budget, values whose cost adds up to the budget at
// most, evicting the least recently used; and it serves an entry for its
// time to live at most: a backstop for a change whose invalidation was
// lost in a way nobody noticed.
type Cache[V any] struct {
	mu      sync.Mutex
	max     int
	budget  int         // 0: none
	cost    func(V) int // of a value, against the budget
	spent   int         // the entries' costs
	ttl     time.Duration
	lru     *list.List // of *entry[V], most recently used first
	entries map[string]*list.Element
	byGroup map[int64]map[string]struct{}
	gen     uint64 // moves on every drop, so that a fill that raced it is refused
	serving bool
}

type entry[V any] struct {
	key   string
	group int64
	at    time.Time
	cost  int
	v     V
}

// New returns a cache of at most size entries, each served for ttl at most.
// It does not serve until Start.
func New[V any](size int, ttl time.Duration) *Cache[V] {
	return &Cache[V]{max: size, ttl: ttl, lru: list.New(),
		entries: map[string]*list.Element{}, byGroup: map[int64]map[string]struct{}{}}
}

// WithBudget bounds c by the cost of its values too: a value's cost(v),
// such as the bytes it holds, and at most budget for all of them. A value
// that costs more than the budget is not stored. Call it before c is used.
func (c *Cache[V]) WithBudget(budget int, cost func(V) int) *Cache[V] {
	c.budget, c.cost = budget, cost
	return c
}

// Ticket is taken before the database is read for a value to Put: a Put
// whose ticket is older than the last drop is ignored, since the value
// read may predate the change that the drop was for.
type Ticket uint64

// Ticket returns the ticket of a fill that starts now.
func (c *Cache[V]) Ticket() Ticket {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Ticket(c.gen)
}

// Get returns the value stored under key, unless it is older than the time
// to live at now or the cache is not serving.
func (c *Cache[V]) Get(key string, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero V
	el, ok := c.entries[key]
	if !ok || !c.serving {
		return zero, false
	}
	e := el.Value.(*entry[V])
	if now.Sub(e.at) >= c.ttl {
		c.remove(el)
		return zero, false
	}
	c.lru.MoveToFront(el)
	return e.v, true
}

// Put stores v under key in group, read from the database at now after
// t was taken. It stores nothing when something was dropped since t, or
// while the cache is not serving.
func (c *Cache[V]) Put(t Ticket, key string, group int64, v V, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.serving || uint64(t) != c.gen {
		return
	}
	if el, ok := c.entries[key]; ok {
		c.remove(el)
	}
	cost := 0
	if c.cost != nil {
		if cost = c.cost(v); cost > c.budget {
			return
		}
	}
	for c.lru.Len() >= c.max || c.budget > 0 && c.spent+cost > c.budget {
		c.remove(c.lru.Back())
	}
	c.spent += cost
	c.entries[key] = c.lru.PushFront(&entry[V]{key: key, group: group, at: now, cost: cost, v: v})
	keys := c.byGroup[group]
	if keys == nil {
		keys = map[string]struct{}{}
		c.byGroup[group] = keys
	}
	keys[key] = struct{}{}
}

// Update changes the value stored under key, if any, in place: for what
// the owner itself wrote and that no other process relies on (an API
// key's last use).
func (c *Cache[V]) Update(key string, change func(*V)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		change(&el.Value.(*entry[V]).v)
	}
}

// DropGroups removes every entry of these groups.
func (c *Cache[V]) DropGroups(groups ...int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, g := range groups {
		for key := range c.byGroup[g] {
			c.remove(c.entries[key])
		}
	}
}

// Drop removes the entries under these keys.
func (c *Cache[V]) Drop(keys ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, key := range keys {
		if el, ok := c.entries[key]; ok {
			c.remove(el)
		}
	}
}

// Start empties the cache and serves from it: its owner calls it once it
// hears of every change from now on.
func (c *Cache[V]) Start() { c.reset(true) }

// Stop empties the cache and serves nothing from it until Start: its owner
// calls it as soon as it may miss a change.
func (c *Cache[V]) Stop() { c.reset(false) }

// Serving reports whether the cache serves.
func (c *Cache[V]) Serving() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.serving
}

// Len returns the number of entries.
func (c *Cache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

func (c *Cache[V]) reset(serving bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.serving = serving
	c.spent = 0
	c.lru.Init()
	clear(c.entries)
	clear(c.byGroup)
}

func (c *Cache[V]) remove(el *list.Element) {
	e := c.lru.Remove(el).(*entry[V])
	c.spent -= e.cost
	delete(c.entries, e.key)
	keys := c.byGroup[e.group]
	delete(keys, e.key)
	if len(keys) == 0 {
		delete(c.byGroup, e.group)
	}
}
