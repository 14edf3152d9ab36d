/* SPDX-License-Identifier: MIT */
/*
 * Drives src/daemon/tun.c and netlink.c for tests/netns/00-tun-netlink.sh.
 *
 *   tunctl_test NAME MTU ADDR4/LEN ADDR6/LEN [ROUTE[@MTU]...]
 *       Open the TUN, set MTU and up, add the addresses ("-" skips one) and
 *       routes, print "ready", then run commands read from stdin, one per
 *       line, answering "ok" or "err ENAME": addr-add A/LEN, addr-del A/LEN,
 *       route-add P[@MTU], route-del P, link-mtu. Exits on end of input or
 *       SIGTERM; closing the fd makes the kernel remove the device.
 *   tunctl_test --busy NAME      open NAME twice in this process; exit 0 if
 *                                the second open fails with EBUSY
 *   tunctl_test --open NAME      open once, print "opened NAME" or "err ENAME"
 *   tunctl_test --link-mtu NAME  print the interface's MTU
 *   tunctl_test --mtu-to ADDR    print wf_nl_route_mtu_to(ADDR)
 *
 * The Makefile links tools with libweft.a only, so the daemon files under
 * test are compiled in here.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "daemon/netlink.c"
#include "daemon/nlmsg.c"
#include "daemon/tun.c"

static int report(int ret)
{
	if (ret < 0)
		printf("err %s\n", strerrorname_np(-ret) ? strerrorname_np(-ret) : "?");
	else
		printf("ok\n");
	fflush(stdout);
	return ret;
}

/* A wf_tun_open error: its name, and what the daemon would tell a user. */
static int report_tun(int ret, const char *name)
{
	char why[256];

	if (ret < 0)
		fprintf(stderr, "%s\n", wf_tun_strerror(ret, name, why, sizeof(why)));
	return report(ret);
}

static bool parse_uint(const char *s, unsigned max, unsigned *v)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || end == s || *end || n > max)
		return false;
	*v = (unsigned)n;
	return true;
}

/* "100.64.0.1/10": an address with host bits set, which wf_prefix_parse
 * rightly refuses for a prefix, so split it here. */
static bool parse_addr_len(const char *s, struct wf_prefix *a, unsigned *len)
{
	char buf[WF_ADDR_STRLEN];
	const char *slash = strchr(s, '/');

	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		return false;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	return wf_addr_parse(a, buf) && parse_uint(slash + 1, a->len, len);
}

/* "fd00:1::/64" or "fd00:1::/64@1280". */
static bool parse_route(const char *s, struct wf_prefix *p, unsigned *mtu)
{
	char buf[WF_ADDR_STRLEN];
	const char *at = strchr(s, '@');
	size_t n = at ? (size_t)(at - s) : strlen(s);

	*mtu = 0;
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return wf_prefix_parse(p, buf, true) && (!at || parse_uint(at + 1, 65535, mtu));
}

static int addr_cmd(const char *ifname, const char *arg, bool add)
{
	struct wf_prefix a;
	unsigned len;

	if (!parse_addr_len(arg, &a, &len))
		return -EINVAL;
	return add ? wf_nl_addr_add(ifname, &a, len) : wf_nl_addr_del(ifname, &a, len);
}

static int route_cmd(const char *ifname, const char *arg, bool add)
{
	struct wf_prefix p;
	unsigned mtu;

	if (!parse_route(arg, &p, &mtu))
		return -EINVAL;
	return add ? wf_nl_route_add(ifname, &p, mtu) : wf_nl_route_del(ifname, &p);
}

static void run_line(const char *ifname, char *line)
{
	char *arg = strchr(line, ' ');
	int ret = -EINVAL;

	if (arg)
		*arg++ = '\0';
	if (!strcmp(line, "link-mtu")) {
		ret = wf_nl_link_mtu(ifname);
		if (ret >= 0) {
			printf("%d\n", ret);
			fflush(stdout);
			return;
		}
	} else if (arg && (!strcmp(line, "addr-add") || !strcmp(line, "addr-del"))) {
		ret = addr_cmd(ifname, arg, line[5] == 'a');
	} else if (arg && (!strcmp(line, "route-add") || !strcmp(line, "route-del"))) {
		ret = route_cmd(ifname, arg, line[6] == 'a');
	}
	report(ret);
}

/* Answer stdin's commands until it closes or SIGTERM/SIGINT arrives. A
 * signalfd instead of a handler: no race between checking a flag and
 * blocking in read(). */
static int serve(const char *ifname)
{
	struct pollfd pfd[2] = {{.fd = 0, .events = POLLIN}, {.events = POLLIN}};
	char buf[512];
	size_t used = 0;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 || (pfd[1].fd = signalfd(-1, &set, 0)) < 0)
		return -errno;
	for (;;) {
		char *nl;
		ssize_t n;

		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			return -errno;
		if (pfd[1].revents)
			break;
		if (!pfd[0].revents)
			continue;
		n = read(0, buf + used, sizeof(buf) - 1 - used);
		if (n <= 0)
			break;
		used += (size_t)n;
		buf[used] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			run_line(ifname, buf);
			used -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, used + 1);
		}
		if (used == sizeof(buf) - 1)
			used = 0; /* an overlong line: drop it */
	}
	close(pfd[1].fd);
	return 0;
}

static bool configure(const char *ifname, int argc, char **argv)
{
	unsigned mtu;
	int i;

	if (!parse_uint(argv[0], 65535, &mtu) || report(wf_nl_link_set_mtu_up(ifname, mtu)) < 0)
		return false;
	for (i = 1; i < 3 && i < argc; i++)
		if (strcmp(argv[i], "-") && report(addr_cmd(ifname, argv[i], true)) < 0)
			return false;
	for (; i < argc; i++)
		if (report(route_cmd(ifname, argv[i], true)) < 0)
			return false;
	return true;
}

static bool name_arg(char name[IFNAMSIZ], const char *arg)
{
	int n = snprintf(name, IFNAMSIZ, "%s", arg);

	return n >= 0 && n < IFNAMSIZ;
}

static int cmd_up(int argc, char **argv)
{
	char name[IFNAMSIZ];
	int fd;

	if (argc < 2 || !name_arg(name, argv[0]))
		return 2;
	fd = wf_tun_open(name, false, WF_TUN_SINGLE);
	if (fd < 0)
		return report_tun(fd, name), 1;
	if (!configure(name, argc - 1, argv + 1)) {
		close(fd);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	serve(name);
	close(fd);
	return 0;
}

static int cmd_busy(const char *arg)
{
	char name[IFNAMSIZ], again[IFNAMSIZ];
	int fd, fd2;

	if (!name_arg(name, arg))
		return 2;
	fd = wf_tun_open(name, false, WF_TUN_SINGLE);
	if (fd < 0)
		return report_tun(fd, name), 1;
	memcpy(again, name, sizeof(again));
	fd2 = wf_tun_open(again, false, WF_TUN_SINGLE);
	printf("second open: ");
	report_tun(fd2, again);
	if (fd2 >= 0)
		close(fd2);
	close(fd);
	return fd2 == -EBUSY ? 0 : 1;
}

static int cmd_open(const char *arg)
{
	char name[IFNAMSIZ];
	int fd;

	if (!name_arg(name, arg))
		return 2;
	fd = wf_tun_open(name, false, WF_TUN_SINGLE);
	if (fd < 0)
		return report_tun(fd, name), 1;
	printf("opened %s\n", name);
	close(fd);
	return 0;
}

static int print_result(int ret)
{
	if (ret < 0)
		return report(ret), 1;
	printf("%d\n", ret);
	return 0;
}

static int cmd_mtu_to(const char *arg)
{
	union wf_endpoint ep;
	struct wf_prefix a;

	memset(&ep, 0, sizeof(ep));
	if (!wf_addr_parse(&a, arg))
		return 2;
	if (a.family == AF_INET) {
		ep.in4.sin_family = AF_INET;
		memcpy(&ep.in4.sin_addr, a.addr, 4);
	} else {
		ep.in6.sin6_family = AF_INET6;
		memcpy(&ep.in6.sin6_addr, a.addr, 16);
	}
	return print_result(wf_nl_route_mtu_to(&ep));
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--busy"))
		return cmd_busy(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--open"))
		return cmd_open(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--link-mtu"))
		return print_result(wf_nl_link_mtu(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "--mtu-to"))
		return cmd_mtu_to(argv[2]);
	if (argc >= 3 && argv[1][0] != '-')
		return cmd_up(argc - 1, argv + 1);
	fprintf(stderr,
		"usage: %s NAME MTU ADDR4/LEN|- ADDR6/LEN|- [ROUTE[@MTU]...]\n"
		"       %s --busy|--open|--link-mtu NAME | --mtu-to ADDR\n",
		argv[0], argv[0]);
	return 2;
}
