/* SPDX-License-Identifier: MIT */
/*
 * Path-compressed binary trie, one per address family.
 *
 * Every node carries a whole prefix (bits, cidr). A child's prefix extends
 * its parent's, and bit number parent->cidr of the child's prefix says which
 * side it hangs on. A node without a value exists only to join two subtrees,
 * so it always has exactly two children; removal restores that by splicing
 * out nodes left with one child or none. The depth is therefore at most the
 * number of prefixes, and never more than 129.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/routes.h"

struct node {
	struct node *child[2];
	void *value; /* NULL: a join node */
	uint8_t cidr;
	uint8_t bits[16]; /* zero past cidr */
};

struct wf_routes {
	struct node *root4, *root6;
	size_t count;
	struct wf_retire_link rl;
};

static int max_bits(int family)
{
	return family == AF_INET ? 32 : family == AF_INET6 ? 128 : -1;
}

/* Bit i of a big-endian address, counted from the most significant. */
static unsigned bit_at(const uint8_t *a, unsigned i)
{
	return (a[i / 8] >> (7 - i % 8)) & 1;
}

/* Length of the common prefix of a and b, at most limit bits. */
static unsigned common_bits(const uint8_t *a, const uint8_t *b, unsigned limit)
{
	unsigned n = 0;

	for (unsigned i = 0; n < limit; i++) {
		uint8_t x = a[i] ^ b[i];

		if (x) {
			n += (unsigned)__builtin_clz(x) - 24;
			break;
		}
		n += 8;
	}
	return n < limit ? n : limit;
}

/* Does the node's prefix cover addr? */
static bool node_matches(const struct node *n, const uint8_t *addr)
{
	return common_bits(n->bits, addr, n->cidr) == n->cidr;
}

static struct node **root_of(struct wf_routes *t, int family)
{
	return family == AF_INET ? &t->root4 : &t->root6;
}

struct wf_routes *wf_routes_new(void)
{
	return calloc(1, sizeof(struct wf_routes));
}

static void free_tree(struct node *n)
{
	if (!n)
		return;
	free_tree(n->child[0]);
	free_tree(n->child[1]);
	free(n);
}

void wf_routes_free(struct wf_routes *t)
{
	if (!t)
		return;
	free_tree(t->root4);
	free_tree(t->root6);
	free(t);
}

static void free_linked(struct wf_retire_link *l)
{
	wf_routes_free(WF_CONTAINER_OF(l, struct wf_routes, rl));
}

struct wf_retire_link *wf_routes_link(struct wf_routes *t)
{
	t->rl.fn = free_linked;
	return &t->rl;
}

/* A copy of the subtree at n in *out; false (and nothing left) on failure. */
static bool copy_tree(const struct node *n, struct node **out)
{
	*out = NULL;
	if (!n)
		return true;
	*out = malloc(sizeof(**out));
	if (!*out)
		return false;
	**out = *n;
	(*out)->child[0] = (*out)->child[1] = NULL;
	if (copy_tree(n->child[0], &(*out)->child[0]) && copy_tree(n->child[1], &(*out)->child[1]))
		return true;
	free_tree(*out);
	*out = NULL;
	return false;
}

struct wf_routes *wf_routes_clone(const struct wf_routes *t)
{
	struct wf_routes *c = wf_routes_new();

	if (!c)
		return NULL;
	c->count = t->count;
	if (copy_tree(t->root4, &c->root4) && copy_tree(t->root6, &c->root6))
		return c;
	wf_routes_free(c);
	return NULL;
}

static struct node *node_new(const uint8_t *bits, unsigned cidr, void *value)
{
	struct node *n = calloc(1, sizeof(*n));
	struct wf_prefix p = {.family = AF_INET6, .len = (uint8_t)cidr};

	if (!n)
		return NULL;
	/* A join node takes the first cidr bits of a longer key: mask the rest.
	 * Masking as IPv6 is right for IPv4 too, whose bytes past 4 are zero. */
	memcpy(p.addr, bits, sizeof(p.addr));
	wf_prefix_mask(&p);
	memcpy(n->bits, p.addr, sizeof(n->bits));
	n->cidr = (uint8_t)cidr;
	n->value = value;
	return n;
}

/* Put a new node for key/cidr where *link is, above or beside the existing
 * node old, which does not cover key/cidr. */
static bool split(struct node **link, const uint8_t *key, unsigned cidr, void *value)
{
	struct node *old = *link, *leaf, *join;
	unsigned common = common_bits(old->bits, key, cidr < old->cidr ? cidr : old->cidr);

	leaf = node_new(key, cidr, value);
	if (!leaf)
		return false;
	if (common == cidr) {
		/* The new prefix covers old: it becomes old's parent. */
		leaf->child[bit_at(old->bits, cidr)] = old;
		*link = leaf;
		return true;
	}
	/* They diverge at bit common: join them under a valueless node. */
	join = node_new(key, common, NULL);
	if (!join) {
		free(leaf);
		return false;
	}
	join->child[bit_at(key, common)] = leaf;
	join->child[bit_at(old->bits, common)] = old;
	*link = join;
	return true;
}

/* Validate p and copy its bits, masked, into a 16-byte key. */
static bool prepare(const struct wf_prefix *p, uint8_t key[16])
{
	struct wf_prefix masked = *p;
	int maxb = max_bits(p->family);

	if (maxb < 0 || p->len > maxb)
		return false;
	wf_prefix_mask(&masked);
	memcpy(key, masked.addr, 16);
	return true;
}

bool wf_routes_insert(struct wf_routes *t, const struct wf_prefix *p, void *value)
{
	struct node **link;
	uint8_t key[16];

	if (!value || !prepare(p, key))
		return false;
	link = root_of(t, p->family);
	while (*link && (*link)->cidr <= p->len && node_matches(*link, key)) {
		struct node *n = *link;

		if (n->cidr == p->len) {
			if (!n->value)
				t->count++; /* a join node gains a value */
			n->value = value;
			return true;
		}
		link = &n->child[bit_at(key, n->cidr)];
	}
	if (*link) {
		if (!split(link, key, p->len, value))
			return false;
	} else {
		*link = node_new(key, p->len, value);
		if (!*link)
			return false;
	}
	t->count++;
	return true;
}

/* A node that lost its value (or a child) keeps its place only if it still
 * joins two subtrees. Returns what should hang where n was. */
static struct node *compact(struct node *n)
{
	struct node *only;

	if (n->value || (n->child[0] && n->child[1]))
		return n;
	only = n->child[0] ? n->child[0] : n->child[1];
	free(n);
	return only;
}

static struct node *remove_exact(struct node *n, const uint8_t *key, unsigned cidr, bool *found)
{
	unsigned side;

	if (!n || n->cidr > cidr || !node_matches(n, key))
		return n;
	if (n->cidr == cidr) {
		*found = n->value != NULL;
		n->value = NULL;
		return compact(n);
	}
	side = bit_at(key, n->cidr);
	n->child[side] = remove_exact(n->child[side], key, cidr, found);
	return compact(n);
}

bool wf_routes_remove(struct wf_routes *t, const struct wf_prefix *p)
{
	struct node **root;
	uint8_t key[16];
	bool found = false;

	if (!prepare(p, key))
		return false;
	root = root_of(t, p->family);
	*root = remove_exact(*root, key, p->len, &found);
	if (found)
		t->count--;
	return found;
}

static struct node *remove_value(struct node *n, void *value, size_t *removed)
{
	if (!n)
		return NULL;
	n->child[0] = remove_value(n->child[0], value, removed);
	n->child[1] = remove_value(n->child[1], value, removed);
	if (n->value == value) {
		n->value = NULL;
		(*removed)++;
	}
	return compact(n);
}

void wf_routes_remove_value(struct wf_routes *t, void *value)
{
	size_t removed = 0;

	if (!value)
		return;
	t->root4 = remove_value(t->root4, value, &removed);
	t->root6 = remove_value(t->root6, value, &removed);
	t->count -= removed;
}

void *wf_routes_lookup(const struct wf_routes *t, int family, const uint8_t *addr)
{
	const struct node *n = family == AF_INET ? t->root4 : family == AF_INET6 ? t->root6 : NULL;
	unsigned maxb = family == AF_INET ? 32 : 128;
	void *best = NULL;

	/* Children only get more specific, so the last match on the way down
	 * is the longest one. */
	while (n && node_matches(n, addr)) {
		if (n->value)
			best = n->value;
		if (n->cidr == maxb)
			break;
		n = n->child[bit_at(addr, n->cidr)];
	}
	return best;
}

void *wf_routes_get(const struct wf_routes *t, const struct wf_prefix *p)
{
	const struct node *n;
	uint8_t key[16];

	if (!prepare(p, key))
		return NULL;
	n = p->family == AF_INET ? t->root4 : t->root6;
	while (n && n->cidr <= p->len && node_matches(n, key)) {
		if (n->cidr == p->len)
			return n->value;
		n = n->child[bit_at(key, n->cidr)];
	}
	return NULL;
}

size_t wf_routes_count(const struct wf_routes *t)
{
	return t->count;
}
