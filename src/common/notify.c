/* SPDX-License-Identifier: MIT */
/* sd_notify's protocol, without libsystemd: see notify.h for why. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/notify.h"

bool wf_notify_enabled(void)
{
	const char *e = getenv("NOTIFY_SOCKET");

	return e && *e;
}

/* $NOTIFY_SOCKET as an address: "/path", or "@name" for the abstract
 * namespace (the '@' becomes a NUL). -EAFNOSUPPORT for anything else (vsock
 * addresses are for virtual machines, not for weft's units). */
static int notify_addr(const char *e, struct sockaddr_un *sa, socklen_t *len)
{
	size_t n = strlen(e);

	if ((e[0] != '/' && e[0] != '@') || n < 2)
		return -EAFNOSUPPORT;
	if (n > sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, e, n);
	if (e[0] == '@')
		sa->sun_path[0] = '\0';
	/* A path's address includes its NUL if it fits; an abstract name's
	 * length is exactly its bytes. */
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
			   (e[0] == '/' && n < sizeof(sa->sun_path)));
	return 0;
}

int wf_notify(const char *state)
{
	const char *e = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t len;
	ssize_t sent;
	int fd, rc;

	if (!e || !*e)
		return 0;
	if ((rc = notify_addr(e, &sa, &len)) < 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
	rc = sent < 0 ? -errno : (size_t)sent == strlen(state) ? 0 : -EMSGSIZE;
	close(fd);
	return rc;
}

int wf_notifyf(const char *fmt, ...)
{
	char buf[WF_NOTIFY_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EMSGSIZE;
	return wf_notify(buf);
}

/* A status is one line: a newline would start a key of its own. */
static const char *one_line(const char *s, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s", s);
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ' ';
	return buf;
}

int wf_notify_ready(const char *status)
{
	char line[WF_NOTIFY_MAX - 32];

	if (!status)
		return wf_notify("READY=1");
	return wf_notifyf("READY=1\nSTATUS=%s", one_line(status, line, sizeof(line)));
}

int wf_notify_status(const char *status)
{
	char line[WF_NOTIFY_MAX - 32];

	return wf_notifyf("STATUS=%s", one_line(status, line, sizeof(line)));
}

int wf_notify_reloading(void)
{
	return wf_notifyf("RELOADING=1\nMONOTONIC_USEC=%llu",
			  (unsigned long long)(wf_now_ns() / 1000u));
}

int wf_notify_stopping(void)
{
	return wf_notify("STOPPING=1");
}

int wf_notify_watchdog(void)
{
	return wf_notify("WATCHDOG=1");
}

/* A whole positive decimal number, or 0. */
static unsigned long long env_number(const char *name)
{
	const char *e = getenv(name);
	unsigned long long v;
	char *end;

	if (!e || *e < '0' || *e > '9')
		return 0;
	errno = 0;
	v = strtoull(e, &end, 10);
	return errno || *end ? 0 : v;
}

uint64_t wf_notify_watchdog_usec(void)
{
	const char *pid = getenv("WATCHDOG_PID");

	/* Set for another process (a child that inherited it): not ours. */
	if (pid && *pid && env_number("WATCHDOG_PID") != (unsigned long long)getpid())
		return 0;
	return env_number("WATCHDOG_USEC");
}
