/* SPDX-License-Identifier: MIT */
/*
 * Telling systemd-resolved where the members' names are (resolved.h).
 *
 * One short-lived connection to the system bus per change, not one kept in
 * the loop: a change is rare (start, a new dns-domain, stop), and a bus that
 * restarts under a kept connection would need watching for nothing. resolved
 * lets root, or a caller with CAP_NET_ADMIN, set a link's DNS without polkit.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "common/log.h"
#include "daemon/daemon.h"
#include "daemon/resolved.h"

#define RESOLVE1	 "org.freedesktop.resolve1"
#define RESOLVE1_PATH	 "/org/freedesktop/resolve1"
#define RESOLVE1_MANAGER "org.freedesktop.resolve1.Manager"

/* Keep why a call failed, for the log and for status. */
static void failed(struct wf_daemon *d, const char *what, const sd_bus_error *e, int r)
{
	snprintf(d->names.resolved.why, sizeof(d->names.resolved.why), "%s: %s", what,
		 e && e->message ? e->message : strerror(r < 0 ? -r : r));
	log_warnx("systemd-resolved: %s (names still answer on port %d of this node's overlay "
		  "addresses)",
		  d->names.resolved.why, WF_NAMES_PORT);
}

static sd_bus *open_bus(struct wf_daemon *d)
{
	sd_bus *bus = NULL;
	int r = sd_bus_open_system(&bus);

	if (r < 0) {
		failed(d, "cannot reach the system bus", NULL, r);
		return NULL;
	}
	(void)sd_bus_set_method_call_timeout(bus, WF_RESOLVED_TIMEOUT_MS * 1000ULL);
	return bus;
}

/* SetLinkDNS(ifindex, a(iay)): each overlay address names answer on. */
static int set_servers(struct wf_daemon *d, sd_bus *bus, int ifindex, sd_bus_error *e)
{
	sd_bus_message *m = NULL, *reply = NULL;
	int r = sd_bus_message_new_method_call(bus, &m, RESOLVE1, RESOLVE1_PATH, RESOLVE1_MANAGER,
					       "SetLinkDNS");

	if (r >= 0)
		r = sd_bus_message_append(m, "i", ifindex);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "(iay)");
	for (unsigned i = 0; r >= 0 && i < d->node.self.n_addrs && i < WF_CERT_MAX_ADDRS; i++) {
		const struct wf_prefix *a = &d->node.self.addrs[i];

		if (d->names.fd[i] < 0)
			continue; /* not answered there */
		r = sd_bus_message_open_container(m, 'r', "iay");
		if (r >= 0)
			r = sd_bus_message_append(m, "i", a->family);
		if (r >= 0)
			r = sd_bus_message_append_array(m, 'y', a->addr,
							a->family == AF_INET ? 4 : 16);
		if (r >= 0)
			r = sd_bus_message_close_container(m);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_call(bus, m, 0, e, &reply);
	sd_bus_message_unref(reply);
	sd_bus_message_unref(m);
	return r;
}

/* SetLinkDomains(ifindex, a(sb)): DOMAIN, routing only (resolvectl's
 * ~DOMAIN): only its names go to the link, and the link is no search
 * domain nor anyone's default route. */
static int set_domain(struct wf_daemon *d, sd_bus *bus, int ifindex, sd_bus_error *e)
{
	return sd_bus_call_method(bus, RESOLVE1, RESOLVE1_PATH, RESOLVE1_MANAGER, "SetLinkDomains",
				  e, NULL, "ia(sb)", ifindex, 1, d->names.domain, 1);
}

/* SetLinkLLMNR and SetLinkMulticastDNS "no": resolved would otherwise ask
 * and answer single-label names by multicast on the device, which weft
 * never carries (a multicast packet is dropped, counted). */
static int no_multicast(sd_bus *bus, int ifindex, sd_bus_error *e)
{
	int r = sd_bus_call_method(bus, RESOLVE1, RESOLVE1_PATH, RESOLVE1_MANAGER, "SetLinkLLMNR",
				   e, NULL, "is", ifindex, "no");

	return r < 0 ? r
		     : sd_bus_call_method(bus, RESOLVE1, RESOLVE1_PATH, RESOLVE1_MANAGER,
					  "SetLinkMulticastDNS", e, NULL, "is", ifindex, "no");
}

static int link_index(struct wf_daemon *d)
{
	int ifindex = (int)if_nametoindex(d->node.ifname);

	if (!ifindex)
		failed(d, "no interface index", NULL, errno);
	return ifindex;
}

static void configure(struct wf_daemon *d, bool servers)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int ifindex = link_index(d), r;
	sd_bus *bus;

	if (!ifindex || !(bus = open_bus(d)))
		return;
	if (servers && (r = set_servers(d, bus, ifindex, &e)) < 0)
		failed(d, "SetLinkDNS", &e, r);
	else if ((r = set_domain(d, bus, ifindex, &e)) < 0)
		failed(d, "SetLinkDomains", &e, r);
	else if (servers && (r = no_multicast(bus, ifindex, &e)) < 0)
		failed(d, "SetLinkLLMNR", &e, r);
	else {
		d->names.resolved.set = true;
		d->names.resolved.why[0] = '\0';
		log_info("systemd-resolved: %s's names (~%s) are asked of this node on %s",
			 d->names.domain, d->names.domain, d->node.ifname);
	}
	sd_bus_error_free(&e);
	sd_bus_flush_close_unref(bus);
}

void wf_resolved_start(struct wf_daemon *d)
{
	if (d->node.cfg.dns_resolved && d->names.on)
		configure(d, true);
}

void wf_resolved_domain(struct wf_daemon *d)
{
	if (d->node.cfg.dns_resolved && d->names.on)
		configure(d, !d->names.resolved.set);
}

void wf_resolved_stop(struct wf_daemon *d)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int ifindex, r;
	sd_bus *bus;

	if (!d->names.resolved.set)
		return;
	d->names.resolved.set = false;
	ifindex = (int)if_nametoindex(d->node.ifname);
	if (!ifindex || !(bus = open_bus(d)))
		return; /* the link is gone: resolved forgot it with it */
	r = sd_bus_call_method(bus, RESOLVE1, RESOLVE1_PATH, RESOLVE1_MANAGER, "RevertLink", &e,
			       NULL, "i", ifindex);
	if (r < 0)
		failed(d, "RevertLink", &e, r);
	sd_bus_error_free(&e);
	sd_bus_flush_close_unref(bus);
}

const char *wf_resolved_state(const struct wf_daemon *d)
{
	if (!d->node.cfg.dns_resolved)
		return "off";
	if (d->names.resolved.set)
		return "set";
	return d->names.resolved.why[0] ? d->names.resolved.why : "not set";
}
