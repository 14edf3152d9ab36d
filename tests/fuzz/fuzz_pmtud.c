/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for path MTU discovery: the probe and answer decoders
 * (src/core/message.c) on any bytes, and the state machine (src/core/
 * pmtud.c) driven by any sequence of events. Byte 0 picks the family and
 * route; then each 4-byte step is an event (up, down, ack of the probe in
 * flight or of another, PTB, route change, time passing). The state machine
 * must keep its invariants: the MTU in use between MIN_PLPMTU and the
 * route's MTU, no probe larger than the route allows or smaller than the
 * floor, a timer when it has something to wait for.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "core/message.h"
#include "core/pmtud.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* after a tick is when the next one is due: nothing overdue is left */
static void check(const struct wf_pmtud *p, const struct wf_pmtud_out *o, int64_t now, bool ticked)
{
	if (p->plpmtu < p->min || p->plpmtu > p->max || p->state > WF_PMTUD_ERROR)
		abort();
	if (o->probe && (o->size > p->max || o->size < p->min || o->seq != p->seq))
		abort();
	if (o->changed && o->pmtu != p->plpmtu)
		abort();
	if (ticked && wf_pmtud_next(p) <= now && !o->probe)
		abort();
}

static void step(struct wf_pmtud *p, const uint8_t *b, int64_t *now)
{
	struct wf_pmtud_out o = {0};
	unsigned v = (unsigned)b[2] << 8 | b[3];
	bool ticked = false;

	*now += b[1] * 37;
	switch (b[0] % 7) {
	case 0:
		wf_pmtud_up(p, *now, &o);
		break;
	case 1:
		wf_pmtud_down(p);
		break;
	case 2:
		wf_pmtud_acked(p, p->seq, p->probed, *now, &o);
		break;
	case 3:
		wf_pmtud_acked(p, p->seq - (b[2] & 1), v, *now, &o);
		break;
	case 4:
		wf_pmtud_ptb(p, v, *now, &o);
		break;
	case 5:
		wf_pmtud_route(p, v, *now, &o);
		break;
	default:
		if (wf_pmtud_next(p) != INT64_MAX && wf_pmtud_next(p) > *now)
			*now = wf_pmtud_next(p);
		wf_pmtud_tick(p, *now, &o);
		ticked = true;
		break;
	}
	check(p, &o, *now, ticked);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wf_pmtud_cfg cfg;
	struct wf_pmtud p;
	uint32_t seq;
	unsigned n;
	int64_t now = 0;

	(void)wf_pmtu_probe_decode(data, size, AF_INET, &seq, &n);
	(void)wf_pmtu_probe_decode(data, size, AF_INET6, &seq, &n);
	(void)wf_pmtu_ack_decode(data, size, &seq, &n);
	if (size < 1)
		return 0;
	wf_pmtud_cfg_default(&cfg);
	cfg.max_probes = (uint8_t)(1 + data[0] % 4);
	wf_pmtud_init(&p, &cfg, data[0] & 0x80 ? AF_INET6 : AF_INET, 500u + (data[0] & 0x7f) * 80u);
	for (size_t i = 1; i + 4 <= size; i += 4)
		step(&p, data + i, &now);
	return 0;
}
