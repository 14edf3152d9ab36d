#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""weft's side-by-side benchmark: weft against no VPN, tinc, Nebula,
wireguard-go, fastd and OpenVPN, between two network namespaces joined by a
veth.  Started by bench/run.sh, which installs the peers, builds weft, makes
the temporary directory and cleans up after us whatever happens; see
bench/README.md for what is measured and how.

Everything this script creates is written to TMP/created as it is created
("ns NAME", "pid PID STARTTIME", "file PATH"), so run.sh's EXIT trap can
remove exactly that even if we are killed.  We also clean up ourselves.
"""

import argparse
import csv
import io
import datetime
import fnmatch
import hashlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

# --- addresses: the only ones this benchmark ever sends to ------------------

UNDER_A, UNDER_B = "198.18.0.1", "198.18.0.2"  # 198.18.0.0/15, on the veth
OVER_A, OVER_B = "100.64.0.1", "100.64.0.2"  # 100.64.0.0/10, in the tunnels
IPERF_PORT = 5201

CLK_TCK = os.sysconf("SC_CLK_TCK")


def allowed(addr):
    """True for 198.18.0.0/15 and 100.64.0.0/10: nothing else is a target."""
    p = [int(x) for x in addr.split(".")]
    return (p[0] == 198 and p[1] in (18, 19)) or (p[0] == 100 and 64 <= p[1] < 128)


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


class Fail(Exception):
    """A configuration could not be set up or measured (shown in the table)."""


class NotAvailable(Fail):
    """The configuration does not exist for this build (e.g. no workers key)."""


# --- what we create, and how it is removed ----------------------------------


def proc_starttime(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


class World:
    """The namespaces, processes and files of this run."""

    def __init__(self, tmp, prefix):
        self.tmp = tmp
        self.prefix = prefix
        self.ns_a = f"{prefix}-a"
        self.ns_b = f"{prefix}-b"
        self.dev_a = "bv-a"  # veth ends; names are per namespace
        self.dev_b = "bv-b"
        self.procs = []  # live Popen objects we started
        self.ns = []
        self.files = []
        self._created = open(os.path.join(tmp, "created"), "a")
        self._shaped = False

    def record(self, line):
        self._created.write(line + "\n")
        self._created.flush()

    # processes
    def spawn(self, ns, argv, logpath, env=None):
        """Run argv in namespace ns (ip netns exec execs: the PID is argv's;
        None: here), in its own session so a Ctrl-C reaches us, not it."""
        logf = open(logpath, "ab")
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        p = subprocess.Popen(
            (["ip", "netns", "exec", ns] if ns else []) + list(argv),
            stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
            env=full_env, start_new_session=True, cwd=self.tmp,
        )
        logf.close()
        st = None
        for _ in range(50):
            st = proc_starttime(p.pid)
            if st:
                break
            time.sleep(0.01)
        self.record(f"pid {p.pid} {st or '?'}")
        self.procs.append(p)
        p.logpath = logpath
        return p

    def stop(self, p, grace=5.0):
        """TERM, then KILL after grace seconds: by PID, only ours."""
        if p is None:
            return None
        if p.poll() is None:
            try:
                p.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.wait(grace)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if p in self.procs:
            self.procs.remove(p)
        return p.returncode

    def run(self, ns, argv, check=True, timeout=60, input=None):
        """Run a short command (in namespace ns, or here if ns is None)."""
        cmd = (["ip", "netns", "exec", ns] if ns else []) + list(argv)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=input)
        if check and r.returncode != 0:
            raise Fail(f"{' '.join(argv)}: exit {r.returncode}: {(r.stderr or r.stdout).strip()[-300:]}")
        return r

    # the two hosts
    def build(self):
        for ns in (self.ns_a, self.ns_b):
            self.run(None, ["ip", "netns", "add", ns])
            self.ns.append(ns)
            self.record(f"ns {ns}")
            self.run(None, ["ip", "-n", ns, "link", "set", "lo", "up"])
            for k in ("all", "default"):
                self.run(ns, ["sysctl", "-qw", f"net.ipv4.conf.{k}.rp_filter=0"])
        self.run(None, ["ip", "-n", self.ns_a, "link", "add", self.dev_a, "type", "veth",
                        "peer", "name", self.dev_b, "netns", self.ns_b])
        for ns, dev, addr in ((self.ns_a, self.dev_a, UNDER_A), (self.ns_b, self.dev_b, UNDER_B)):
            assert allowed(addr)
            self.run(None, ["ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", dev])
            self.run(None, ["ip", "-n", ns, "link", "set", dev, "up"])
            self.run(ns, ["sysctl", "-qw", f"net.ipv4.conf.{dev}.rp_filter=0"])
        self.gro_default = {}
        for ns, dev in ((self.ns_a, self.dev_a), (self.ns_b, self.dev_b)):
            k = self.run(ns, ["ethtool", "-k", dev]).stdout
            self.gro_default[dev] = "on" if re.search(r"^generic-receive-offload: on", k, re.M) else "off"
        self.wait_ping(self.ns_a, UNDER_B, 5)

    def veth_offloads(self, on):
        for ns, dev in ((self.ns_a, self.dev_a), (self.ns_b, self.dev_b)):
            if on:  # the veth's defaults: TSO and GSO on, GRO as it was
                self.run(ns, ["ethtool", "-K", dev, "tso", "on", "gso", "on", "gro", self.gro_default[dev]])
            else:
                self.run(ns, ["ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off"])

    def shape(self, rate):
        """tbf on both veth ends: the wire is `rate` in each direction."""
        for ns, dev in ((self.ns_a, self.dev_a), (self.ns_b, self.dev_b)):
            self.run(ns, ["tc", "qdisc", "replace", "dev", dev, "root", "tbf", "rate", rate,
                          "burst", "128kb", "latency", "10ms"])
        self._shaped = True

    def unshape(self):
        if not self._shaped:
            return
        for ns, dev in ((self.ns_a, self.dev_a), (self.ns_b, self.dev_b)):
            self.run(ns, ["tc", "qdisc", "del", "dev", dev, "root"], check=False)
        self._shaped = False

    def ping_ok(self, ns, dst):
        assert allowed(dst)
        return self.run(ns, ["ping", "-n", "-c", "1", "-W", "1", dst], check=False).returncode == 0

    def wait_ping(self, ns, dst, timeout):
        end = time.time() + timeout
        while time.time() < end:
            if self.ping_ok(ns, dst):
                return
            time.sleep(0.2)
        raise Fail(f"no ping from {ns} to {dst} within {timeout}s")

    def cleanup(self):
        self._created.flush()
        for p in list(self.procs):
            try:
                self.stop(p, grace=3)
            except Exception:
                pass
        for ns in self.ns:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self.ns = []
        for f in self.files:
            try:
                os.unlink(f)
            except OSError:
                pass


# --- measuring --------------------------------------------------------------


def proc_cpu(pid):
    """utime+stime of the whole process (all threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_cpu():
    """Busy CPU seconds of the whole machine (all cores) from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    busy = sum(v[:8]) - idle  # user nice system idle iowait irq softirq steal
    return busy / CLK_TCK


def rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class RssSampler:
    """Samples the daemons' VmRSS every 0.2 s; max since the last reset."""

    def __init__(self, pids):
        self.pids = pids
        self.max = [None] * len(pids)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._t = threading.Thread(target=self._loop, daemon=True)
        self._t.start()

    def _sample(self):
        with self._lock:
            for i, pid in enumerate(self.pids):
                r = rss_mib(pid)
                if r is not None and (self.max[i] is None or r > self.max[i]):
                    self.max[i] = r

    def _loop(self):
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(0.2)

    def take(self):
        """The max seen since the last take (sampled once more now), then reset."""
        self._sample()
        with self._lock:
            m, self.max = self.max, [None] * len(self.pids)
        return m

    def close(self):
        self._stop.set()
        self._t.join()


def parse_ping(text):
    rtts = [float(m) for m in re.findall(r"time=([0-9.]+) ms", text)]
    return statistics.median(rtts) if rtts else None


# --- configurations ---------------------------------------------------------


class Config:
    name = "?"
    veth_offload = True
    dst = OVER_B
    daemons = True

    def __init__(self, w, opts):
        self.w = w
        self.opts = opts
        self.dir = os.path.join(w.tmp, self.name)
        self.note = ""  # shown under the table
        self.pa = self.pb = None

    def label(self):
        return self.name

    def prepare(self):
        """Keys and configuration files, once per run."""
        os.makedirs(self.dir, exist_ok=True)

    def start(self):
        """Start both daemons and return when the tunnel carries traffic."""

    def stop(self):
        rcs = (self.w.stop(self.pa), self.w.stop(self.pb))
        self.pa = self.pb = None
        return rcs

    def pids(self):
        return [self.pa.pid, self.pb.pid] if self.daemons else []

    def check_alive(self):
        for p, side in ((self.pa, "a"), (self.pb, "b")):
            if p is not None and p.poll() is not None:
                raise Fail(f"{side}'s daemon exited with {p.returncode}: {tail(p.logpath)}")

    def tun_mtu(self, ns, dev):
        r = self.w.run(ns, ["ip", "-j", "link", "show", "dev", dev], check=False)
        try:
            return json.loads(r.stdout)[0]["mtu"]
        except (ValueError, IndexError, KeyError):
            return None

    def wait_tunnel(self, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            self.check_alive()
            if self.w.ping_ok(self.w.ns_a, OVER_B) and self.w.ping_ok(self.w.ns_b, OVER_A):
                return
            time.sleep(0.2)
        self.check_alive()
        raise Fail(f"no ping through the tunnel within {timeout}s")


def tail(path, n=3):
    try:
        with open(path, errors="replace") as f:
            lines = [l.strip() for l in f if l.strip()]
        return " / ".join(lines[-n:])
    except OSError:
        return "(no log)"


class Plain(Config):
    daemons = False
    dst = UNDER_B

    def __init__(self, w, opts, offload):
        self.name = "plain" if offload else "plain-nooffload"
        self.veth_offload = offload
        super().__init__(w, opts)

    def label(self):
        return f"{self.name} (no VPN, veth offloads {'on' if self.veth_offload else 'off'})"

    def start(self):
        self.w.wait_ping(self.w.ns_a, UNDER_B, 5)
        self.note = f"no VPN; veth MTU {self.tun_mtu(self.w.ns_a, self.w.dev_a)}; veth TSO/GSO " + (
            "on (default)" if self.veth_offload else "off, GRO off")

    def stop(self):
        return (None, None)


def fw_rules():
    """The firewall's cost (weft-aes-fw): 36 inbound rules of four shapes, none of which
    matches the benchmark's traffic (so every one is tried for each new flow), then one
    allow that does. Replies are tracked flows (docs/weft.conf.md, "Firewall")."""
    rules = []
    for i in range(1, 10):
        rules += [f"inbound = drop tcp {10000 + i} from group team{i}",
                  f"inbound = drop udp {20000 + i}-{20010 + i} to 100.64.1.{i}",
                  f"inbound = drop any from peer host{i}",
                  f"inbound = drop icmp from 100.64.2.{i}"]
    return rules + ["inbound = allow any from 100.64.0.0/10"]


class Weft(Config):
    """weft between a and b. datapath "userspace" (weft's own path, the TUN device) or
    "kernel" (the kernel's ESP keyed by weft; n/a where the kernel has no ESP, as the
    daemon's refusal says). firewall: fw_rules() on both ends."""

    def __init__(self, w, opts, cipher, offload, workers, datapath="userspace", firewall=False):
        self.cipher = cipher
        self.offload = offload
        self.workers = workers
        self.datapath = datapath
        self.firewall = firewall
        short = {"aes-256-gcm": "aes", "chacha20-poly1305": "chacha"}[cipher]
        self.name = ("weft-kernel-" if datapath == "kernel" else "weft-") + short
        self.name += ("" if offload else "-nooffload") + ("" if workers == 1 else f"-w{workers}")
        self.name += "-fw" if firewall else ""
        super().__init__(w, opts)
        self.use_workers_key = True
        self.use_datapath_key = True

    def label(self):
        return self.name

    def prepare(self):
        super().prepare()
        weft = self.opts.weft
        # A fresh CA per configuration: ca sign refuses an address used before in a CA dir.
        self.w.run(None, [weft, "ca", "init", "--dir", f"{self.dir}/ca", "--network", "bench",
                          "--prefix", "100.64.0.0/10", "--cipher", self.cipher])
        self.w.run(None, [weft, "node", "init", "--dir", f"{self.dir}/a", "--ca", f"{self.dir}/ca",
                          "--name", "a", "--address", OVER_A, "--listen", f"{UNDER_A}:51820"])
        self.w.run(None, [weft, "node", "init", "--dir", f"{self.dir}/b", "--ca", f"{self.dir}/ca",
                          "--name", "b", "--address", OVER_B, "--listen", f"{UNDER_B}:51820",
                          "--bootstrap", f"{UNDER_A}:51820"])
        self.base_conf = {}
        for n in "ab":
            with open(f"{self.dir}/{n}/weft.conf") as f:
                self.base_conf[n] = f.read()

    def write_conf(self):
        extra = []
        if not self.offload:
            extra += ["tun-offload = no", "udp-gso = no", "udp-gro = no"]
        if self.use_workers_key:
            extra.append(f"workers = {self.workers}")
        if self.use_datapath_key:
            extra.append(f"datapath = {self.datapath}")
        if self.firewall:
            extra += fw_rules()
        for n in "ab":
            with open(f"{self.dir}/{n}/weft.conf", "w") as f:
                f.write(self.base_conf[n].rstrip("\n") + "\n" + "".join(x + "\n" for x in extra))

    def _start_one(self, n, ns):
        logpath = f"{self.dir}/{n}.log"
        with open(logpath, "a") as f:
            f.write(f"--- weft up, weft.conf:\n{open(f'{self.dir}/{n}/weft.conf').read()}---\n")
        offset = os.path.getsize(logpath)
        p = self.w.spawn(ns, [self.opts.weft, "up", "--dir", f"{self.dir}/{n}"], logpath)
        p.log_offset = offset
        return p

    def _refused(self, p):
        """None while the daemon runs; else what it logged this time (it exited)."""
        if p.poll() is None:
            return None
        with open(p.logpath, errors="replace") as f:
            f.seek(p.log_offset)
            return f.read() or f"(exit {p.returncode}, nothing logged)"

    def start(self):
        for attempt in range(2):
            self.write_conf()
            self.pa = self._start_one("a", self.w.ns_a)
            self.pb = self._start_one("b", self.w.ns_b)
            # A config weft refuses makes `weft up` exit: look at its exit and log.
            end = time.time() + 20
            refusal = None
            while True:
                refusal = self._refused(self.pa) or self._refused(self.pb)
                if refusal is not None or (self.status_up() and self.status_up("b")):
                    break
                if time.time() > end:
                    raise Fail("peers not up within 20s: " + tail(self.pa.logpath))
                time.sleep(0.1)
            if refusal is None:
                break
            self.stop()
            if re.search(r"unknown key 'workers'", refusal):
                if self.workers == 1 and self.use_workers_key:
                    # No workers key: this weft is single-threaded, which is the 1-worker variant.
                    self.use_workers_key = False
                    continue
                raise NotAvailable("n/a (weft has no workers key yet)")
            if self.firewall and re.search(r"unknown key 'inbound'", refusal):
                raise NotAvailable("n/a (weft has no firewall yet)")
            if re.search(r"unknown key 'datapath'", refusal):
                if self.datapath == "userspace" and self.use_datapath_key:
                    self.use_datapath_key = False  # before the kernel path: userspace only
                    continue
                raise NotAvailable("n/a (weft has no datapath key yet)")
            m = re.search(r"datapath = kernel, but the kernel path cannot run: (.*)", refusal)
            if m:
                raise NotAvailable(f"n/a ({m.group(1).strip()})")
            raise Fail("weft up refused: " + " / ".join(l for l in refusal.splitlines()[-3:] if l))
        self.wait_tunnel(10)
        if self.datapath == "kernel":
            self.wait_kernel_path(20)
        st = self.status("a") or {}
        node = st.get("node", {})
        offl = node.get("offloads", "?")
        if isinstance(offl, dict):  # {"tun_tso": {"on": true, "why": null}, ...}
            on = [k for k, v in offl.items() if isinstance(v, dict) and v.get("on")]
            off = [f"{k} ({v.get('why')})" for k, v in offl.items() if isinstance(v, dict) and not v.get("on")]
            offl = "on: " + (" ".join(on) or "none") + ("; off: " + " ".join(off) if off else "")
        elif not isinstance(offl, str):
            offl = json.dumps(offl, separators=(",", ":"))
        self.note = (f"cipher {self.cipher}; weft.conf: "
                     + ("offloads default (on)" if self.offload else "tun-offload/udp-gso/udp-gro = no")
                     + (f", workers = {self.workers}" if self.use_workers_key else
                        " (no workers key in this weft: single-threaded)")
                     + f"; mtu {self.tun_mtu(self.w.ns_a, 'weft0')}; status offloads: {offl}"
                     + f"; datapath = {self.datapath if self.use_datapath_key else '(no key)'}"
                     + (f"; firewall: {len(fw_rules())} inbound rules on both ends, only the last matching"
                        if self.firewall else ""))

    def wait_kernel_path(self, timeout):
        """Both ends carry the pair on the kernel path (the first packets of a session
        take the userspace path until both ends have their SAs)."""
        end = time.time() + timeout
        while time.time() < end:
            if all(any(p.get("path", "").startswith("kernel") for p in (self.status(n) or {}).get("peers", []))
                   for n in "ab"):
                return
            self.w.ping_ok(self.w.ns_a, OVER_B)
            time.sleep(0.2)
        raise Fail(f"the pair is not on the kernel path within {timeout}s")

    def status(self, n="a"):
        ns = self.w.ns_a if n == "a" else self.w.ns_b
        r = self.w.run(ns, [self.opts.weft, "status", "--dir", f"{self.dir}/{n}", "--json"],
                       check=False, timeout=10)
        if r.returncode != 0:
            return None
        try:
            return json.loads(r.stdout)
        except ValueError:
            return None

    def status_up(self, n="a"):
        st = self.status(n)
        return bool(st) and any(p.get("state") == "up" for p in st.get("peers", []))


class Tinc(Config):
    name = "tinc"
    PORT = 655

    def label(self):
        return "tinc (aes-256-cbc+sha256)"

    def prepare(self):
        super().prepare()
        for n, under, over in (("a", UNDER_A, OVER_A), ("b", UNDER_B, OVER_B)):
            d = f"{self.dir}/{n}"
            os.makedirs(f"{d}/hosts", exist_ok=True)
            conf = [f"Name = {n}", "AddressFamily = ipv4", f"BindToAddress = {under}",
                    "DeviceType = tun", "Interface = tinc0", "Mode = router"]
            if n == "b":
                conf.append("ConnectTo = a")
            open(f"{d}/tinc.conf", "w").write("\n".join(conf) + "\n")
            # tinc 1.0's legacy protocol cannot do AEAD (GCM never verifies, all
            # traffic stays on TCP): CBC + HMAC is the best it can do.
            open(f"{d}/hosts/{n}", "w").write(
                f"Address = {under}\nPort = {self.PORT}\nSubnet = {over}/32\n"
                "Cipher = aes-256-cbc\nDigest = sha256\n")
            up = f"{d}/tinc-up"
            open(up, "w").write(f"#!/bin/sh\nip addr add {over}/24 dev $INTERFACE\nip link set $INTERFACE up\n")
            os.chmod(up, 0o755)
            self.w.run(None, ["tincd", "-c", d, "-K2048"], input="")
        for n, o in (("a", "b"), ("b", "a")):
            shutil.copy(f"{self.dir}/{o}/hosts/{o}", f"{self.dir}/{n}/hosts/{o}")

    def start(self):
        self.pa = self.w.spawn(self.w.ns_a, ["tincd", "-c", f"{self.dir}/a", "-D",
                                             f"--pidfile={self.dir}/a.pid"], f"{self.dir}/a.log")
        self.pb = self.w.spawn(self.w.ns_b, ["tincd", "-c", f"{self.dir}/b", "-D",
                                             f"--pidfile={self.dir}/b.pid"], f"{self.dir}/b.log")
        self.wait_tunnel(30)
        # Until PMTU discovery converges, tinc 1.0 sends big packets over its TCP
        # meta connection: wait for "pmtu N (min N max N)" on both sides.
        end = time.time() + 60
        while True:
            self.check_alive()
            done = {}
            for p, peer in ((self.pa, "b"), (self.pb, "a")):
                p.send_signal(signal.SIGUSR2)
            time.sleep(0.5)
            for p, peer in ((self.pa, "b"), (self.pb, "a")):
                m = re.findall(rf"^.*\b{peer} at .*pmtu (\d+) \(min (\d+) max (\d+)\)", open(p.logpath, errors="replace").read(), re.M)
                done[peer] = m[-1] if m else None
            if all(v and v[0] == v[1] == v[2] and int(v[0]) > 0 for v in done.values()):
                break
            if time.time() > end:
                raise Fail(f"tinc PMTU did not converge in 60s: {done}")
            # traffic drives the MTU probes
            self.w.ping_ok(self.w.ns_a, OVER_B)
        self.note = (f"aes-256-cbc + HMAC-SHA256 (4-byte MAC); tinc 1.0 cannot do GCM; "
                     f"TUN mtu {self.tun_mtu(self.w.ns_a, 'tinc0')}, PMTU a->b {done['b'][0]}, b->a {done['a'][0]}")


class Nebula(Config):
    name = "nebula"
    PORT = 4242
    MTU = 1420

    def label(self):
        return "nebula (aes-256-gcm)"

    def prepare(self):
        super().prepare()
        d = self.dir
        self.w.run(None, ["nebula-cert", "ca", "-name", "bench", "-duration", "48h",
                          "-out-crt", f"{d}/ca.crt", "-out-key", f"{d}/ca.key"])
        for n, under, over, pu, po in (("a", UNDER_A, OVER_A, UNDER_B, OVER_B),
                                       ("b", UNDER_B, OVER_B, UNDER_A, OVER_A)):
            self.w.run(None, ["nebula-cert", "sign", "-name", n, "-ip", f"{over}/10",
                              "-ca-crt", f"{d}/ca.crt", "-ca-key", f"{d}/ca.key",
                              "-out-crt", f"{d}/{n}.crt", "-out-key", f"{d}/{n}.key"])
            any_rule = [{"port": "any", "proto": "any", "host": "any"}]
            conf = {  # JSON is YAML
                "pki": {"ca": f"{d}/ca.crt", "cert": f"{d}/{n}.crt", "key": f"{d}/{n}.key"},
                "static_host_map": {po: [f"{pu}:{self.PORT}"]},
                "lighthouse": {"am_lighthouse": False, "interval": 60, "hosts": []},
                "listen": {"host": under, "port": self.PORT},
                "punchy": {"punch": False},
                "cipher": "aes",
                "tun": {"disabled": False, "dev": "nebula0", "mtu": self.MTU,
                        "drop_local_broadcast": False, "drop_multicast": False},
                "logging": {"level": "info", "format": "text"},
                "firewall": {"outbound": any_rule, "inbound": any_rule},
            }
            json.dump(conf, open(f"{d}/{n}.yml", "w"), indent=1)

    def start(self):
        self.pa = self.w.spawn(self.w.ns_a, ["nebula", "-config", f"{self.dir}/a.yml"], f"{self.dir}/a.log")
        self.pb = self.w.spawn(self.w.ns_b, ["nebula", "-config", f"{self.dir}/b.yml"], f"{self.dir}/b.log")
        self.wait_tunnel(30)
        self.note = f"cipher aes (AES-256-GCM); tun.mtu {self.tun_mtu(self.w.ns_a, 'nebula0')} (default 1300)"


class WireguardGo(Config):
    name = "wireguard-go"
    PORT = 51820

    def label(self):
        return "wireguard-go (chacha20-poly1305)"

    def prepare(self):
        super().prepare()
        # The UAPI socket /var/run/wireguard/IF.sock is global, not per
        # namespace: the two ends need different names, unique to this run.
        self.ifs = {"a": f"{self.w.prefix}wa"[:15], "b": f"{self.w.prefix}wb"[:15]}
        self.keys = {}
        for n in "ab":
            priv = self.w.run(None, ["wg", "genkey"]).stdout.strip()
            pub = self.w.run(None, ["wg", "pubkey"], input=priv + "\n").stdout.strip()
            path = f"{self.dir}/{n}.key"
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
                f.write(priv + "\n")
            self.keys[n] = (path, pub)
        for n in "ab":
            sock = f"/var/run/wireguard/{self.ifs[n]}.sock"
            self.w.files.append(sock)
            self.w.record(f"file {sock}")

    def start(self):
        env = {"WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD": "1", "LOG_LEVEL": "error"}
        ps = {}
        for n, ns in (("a", self.w.ns_a), ("b", self.w.ns_b)):
            ps[n] = self.w.spawn(ns, ["wireguard-go", "-f", self.ifs[n]], f"{self.dir}/{n}.log", env=env)
        self.pa, self.pb = ps["a"], ps["b"]
        for n in "ab":
            end = time.time() + 10
            while not os.path.exists(f"/var/run/wireguard/{self.ifs[n]}.sock"):
                self.check_alive()
                if time.time() > end:
                    raise Fail(f"no UAPI socket for {self.ifs[n]}")
                time.sleep(0.05)
        for n, o, ns, over, pu, po in (("a", "b", self.w.ns_a, OVER_A, UNDER_B, OVER_B),
                                       ("b", "a", self.w.ns_b, OVER_B, UNDER_A, OVER_A)):
            dev = self.ifs[n]
            self.w.run(ns, ["wg", "set", dev, "listen-port", str(self.PORT), "private-key", self.keys[n][0],
                            "peer", self.keys[o][1], "endpoint", f"{pu}:{self.PORT}",
                            "allowed-ips", f"{po}/32"])
            self.w.run(ns, ["ip", "addr", "add", f"{over}/24", "dev", dev])
            self.w.run(ns, ["ip", "link", "set", dev, "mtu", "1420", "up"])
        self.wait_tunnel(20)
        self.note = f"ChaCha20-Poly1305 (WireGuard has no AES); mtu {self.tun_mtu(self.w.ns_a, self.ifs['a'])}"


class Fastd(Config):
    name = "fastd"
    PORT = 10000
    METHOD = "aes128-gcm"
    MTU = 1420

    def label(self):
        return f"fastd ({self.METHOD})"

    def prepare(self):
        super().prepare()
        keys = {}
        for n in "ab":
            out = self.w.run(None, ["fastd", "--generate-key"]).stdout
            keys[n] = (re.search(r"Secret: ([0-9a-f]{64})", out).group(1),
                       re.search(r"Public: ([0-9a-f]{64})", out).group(1))
        for n, o, under, over, pu in (("a", "b", UNDER_A, OVER_A, UNDER_B), ("b", "a", UNDER_B, OVER_B, UNDER_A)):
            # Only b initiates: crossing handshakes break every encrypted method.
            remote = f"  remote {pu}:{self.PORT};\n" if n == "b" else ""
            conf = (f'log level info;\ninterface "fastd0";\nmode tun;\nmethod "{self.METHOD}";\n'
                    f'bind {under}:{self.PORT};\nsecret "{keys[n][0]}";\nmtu {self.MTU};\n'
                    f'on up "ip addr add {over}/24 dev $INTERFACE && ip link set up dev $INTERFACE";\n'
                    f'peer "{o}" {{\n  key "{keys[o][1]}";\n{remote}}}\n')
            open(f"{self.dir}/{n}.conf", "w").write(conf)

    def start(self):
        self.pa = self.w.spawn(self.w.ns_a, ["fastd", "-c", f"{self.dir}/a.conf"], f"{self.dir}/a.log")
        time.sleep(0.3)  # a listens before b calls
        self.pb = self.w.spawn(self.w.ns_b, ["fastd", "-c", f"{self.dir}/b.conf"], f"{self.dir}/b.log")
        self.wait_tunnel(30)
        self.note = (f"method {self.METHOD} (fastd has no AES-256); only b has a remote; "
                     f"mtu {self.tun_mtu(self.w.ns_a, 'fastd0')}")


class OpenVPN(Config):
    name = "openvpn"
    PORT = 1194

    def label(self):
        return "openvpn (aes-256-gcm)"

    def prepare(self):
        super().prepare()
        d = self.dir
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        self.w.run(None, ["openssl", "req", "-x509"] + ec + ["-keyout", f"{d}/ca.key", "-out", f"{d}/ca.crt",
                                                             "-subj", "/CN=bench-ca", "-days", "2"])
        for n, eku in (("a", "serverAuth"), ("b", "clientAuth")):
            self.w.run(None, ["openssl", "req"] + ec + ["-keyout", f"{d}/{n}.key", "-out", f"{d}/{n}.csr",
                                                        "-subj", f"/CN={n}"])
            open(f"{d}/{n}.ext", "w").write(f"keyUsage = digitalSignature\nextendedKeyUsage = {eku}\n")
            self.w.run(None, ["openssl", "x509", "-req", "-in", f"{d}/{n}.csr", "-CA", f"{d}/ca.crt",
                              "-CAkey", f"{d}/ca.key", "-CAcreateserial", "-out", f"{d}/{n}.crt",
                              "-days", "2", "-extfile", f"{d}/{n}.ext"])
        for n, under, over, pu, po, role in (("a", UNDER_A, OVER_A, UNDER_B, OVER_B, "tls-server"),
                                             ("b", UNDER_B, OVER_B, UNDER_A, OVER_A, "tls-client")):
            conf = [
                "dev ovpn0", "dev-type tun", "proto udp", f"local {under}", f"lport {self.PORT}",
                f"remote {pu} {self.PORT}", f"ifconfig {over} {po}", role, "dh none",
                f"ca {d}/ca.crt", f"cert {d}/{n}.crt", f"key {d}/{n}.key",
                "remote-cert-tls " + ("client" if n == "a" else "server"),
                "cipher AES-256-GCM", "data-ciphers AES-256-GCM", "disable-dco",
                "ping 10", "verb 3",
            ]
            open(f"{d}/{n}.conf", "w").write("\n".join(conf) + "\n")

    def start(self):
        self.pa = self.w.spawn(self.w.ns_a, ["openvpn", "--config", f"{self.dir}/a.conf"], f"{self.dir}/a.log")
        self.pb = self.w.spawn(self.w.ns_b, ["openvpn", "--config", f"{self.dir}/b.conf"], f"{self.dir}/b.log")
        end = time.time() + 30
        for p in (self.pa, self.pb):
            while "Initialization Sequence Completed" not in open(p.logpath, errors="replace").read():
                self.check_alive()
                if time.time() > end:
                    raise Fail("OpenVPN did not complete initialization in 30s: " + tail(p.logpath))
                time.sleep(0.1)
        self.wait_tunnel(20)
        cipher = re.findall(r"(?:Data Channel|data channel).*?(AES-\d+-GCM|CHACHA20-POLY1305|BF-CBC|AES-\d+-CBC)",
                            open(self.pa.logpath, errors="replace").read(), re.I)
        self.note = (f"p2p TLS, disable-dco, data cipher {cipher[-1] if cipher else '?'}; "
                     f"tun-mtu {self.tun_mtu(self.w.ns_a, 'ovpn0')} with mssfix (default)")


def all_configs(w, opts):
    cs = [Plain(w, opts, True), Plain(w, opts, False)]
    for cipher in ("aes-256-gcm", "chacha20-poly1305"):
        for offload in (True, False):
            for workers in (1, 2):
                cs.append(Weft(w, opts, cipher, offload, workers))
        # The kernel's ESP, keyed by weft: where the kernel has it (n/a rows otherwise).
        cs.append(Weft(w, opts, cipher, True, 1, datapath="kernel"))
        if cipher == "aes-256-gcm":
            # The firewall's cost: weft-aes with 36 rules that miss and one that allows.
            cs.append(Weft(w, opts, cipher, True, 1, firewall=True))
    cs += [Tinc(w, opts), Nebula(w, opts), WireguardGo(w, opts), Fastd(w, opts), OpenVPN(w, opts)]
    return cs


# --- the tests --------------------------------------------------------------

BULK = ["tcp1", "tcp4", "udp", "tcp1-1g"]
# The cost of one small packet (real clients, request and answer):
# rr = redis GET, 32 connections, 64-byte values; rr-p16 = the same pipelined
# 16 deep; pingpong = sockperf UDP ping-pong, 64-byte messages; udp64 = iperf3
# UDP, 64-byte datagrams at an unlimited rate.
SMALL = ["rr", "rr-p16", "pingpong", "udp64"]
TESTS = BULK + SMALL
REDIS_PORT = 6390
SOCKPERF_PORT = 11111


def run_test(w, cfg, test, opts, rss):
    """One iperf3 run a -> b; returns the figures of this round."""
    secs = opts.seconds
    dst = cfg.dst
    assert allowed(dst)
    args = ["iperf3", "-c", dst, "-p", str(IPERF_PORT), "-t", str(secs), "-J", "--connect-timeout", "3000"]
    if test == "tcp4":
        args += ["-P", "4"]
    elif test == "udp":
        args += ["-u", "-b", "0", "-l", str(opts.udp_len)]
    elif test == "udp64":
        args += ["-u", "-b", "0", "-l", "64"]
    if test == "tcp1-1g":
        w.shape(opts.shape_rate)
    res = {}
    try:
        srv = w.spawn(w.ns_b, ["iperf3", "-s", "-1", "-p", str(IPERF_PORT)], f"{cfg.dir}/iperf3-server.log")
        end = time.time() + 5
        while f":{IPERF_PORT} " not in w.run(w.ns_b, ["ss", "-Hltn"], check=False).stdout:
            if srv.poll() is not None or time.time() > end:
                raise Fail("iperf3 server did not start: " + tail(srv.logpath))
            time.sleep(0.05)
        out = f"{cfg.dir}/iperf3-{test}.json"
        if os.path.exists(out):
            os.unlink(out)
        pids = cfg.pids()
        rss.take()
        c0 = [proc_cpu(p) for p in pids]
        m0 = machine_cpu()
        t0 = time.monotonic()
        cli = w.spawn(w.ns_a, args, out)
        perfs = start_perf(w, cfg, test, opts)
        pinger = None
        if test == "tcp1":  # latency under load
            plog = f"{cfg.dir}/ping-load.log"
            if os.path.exists(plog):
                os.unlink(plog)
            pinger = w.spawn(w.ns_a, ["ping", "-n", "-i", "0.2", "-W", "1", "-w", str(secs), dst], plog)
        try:
            cli.wait(secs + 30)
        except subprocess.TimeoutExpired:
            raise Fail(f"iperf3 {test} did not finish")
        t1 = time.monotonic()
        m1 = machine_cpu()
        c1 = [proc_cpu(p) for p in pids]
        res["rss"] = rss.take()
        if pinger:
            try:
                pinger.wait(5)
            except subprocess.TimeoutExpired:
                pass
            w.stop(pinger)
            res["ping"] = parse_ping(open(pinger.logpath).read())
        w.stop(cli)
        w.stop(srv, grace=2)
        res["perf"] = finish_perf(w, perfs)
        try:
            # iperf3 may print a warning line before its JSON (e.g. "UDP block
            # size exceeds TCP MSS", which compares with the control connection)
            text = open(out, errors="replace").read()
            d = json.JSONDecoder().raw_decode(text[text.index("{"):])[0]
        except ValueError:
            raise Fail(f"iperf3 {test}: no JSON: {tail(out)}")
        if "error" in d:
            raise Fail(f"iperf3 {test}: {d['error']}")
        e = d["end"]
        recv = e["sum_received"]
        res["bytes"] = recv["bytes"]
        res["mbps"] = recv["bits_per_second"] / 1e6
        if test in ("udp", "udp64"):
            res["loss"] = e["sum"].get("lost_percent", e["sum_received"].get("lost_percent"))
        if test == "udp64":
            res["kpps"] = recv["bytes"] / 64 / max(recv.get("seconds") or secs, 1e-9) / 1e3
        wall = t1 - t0
        res["wall"] = wall
        hz = opts.hz
        res["cpu"] = [(b - a) for a, b in zip(c0, c1)]
        res["cpu_pct"] = [100 * x / wall for x in res["cpu"]]
        res["mcpu_pct"] = 100 * (m1 - m0) / wall
        by = max(res["bytes"], 1)
        res["cpb"] = [x * hz / by for x in res["cpu"]]
        res["cpb_sum"] = sum(res["cpu"]) * hz / by if pids else None
        res["mcpb"] = (m1 - m0) * hz / by
        res["mcpu"] = m1 - m0
        if test == "udp64":
            per_op_us(res, res["bytes"] // 64)
    finally:
        if test == "tcp1-1g":
            w.unshape()
    cfg.check_alive()
    return res


def wait_listen(w, ns, proto, port, proc, what):
    """Until something in ns listens on port (ss -l, proto t or u)."""
    end = time.time() + 5
    while f":{port} " not in w.run(ns, ["ss", f"-Hl{proto}n"], check=False).stdout:
        if proc.poll() is not None or time.time() > end:
            raise Fail(f"{what} did not start: " + tail(proc.logpath))
        time.sleep(0.05)


def cpu_window(w, cfg, rss, fn):
    """fn() with the daemons' and the machine's CPU seconds around it."""
    pids = cfg.pids()
    rss.take()
    c0 = [proc_cpu(p) for p in pids]
    m0 = machine_cpu()
    t0 = time.monotonic()
    res = fn()
    wall = time.monotonic() - t0
    m1 = machine_cpu()
    c1 = [proc_cpu(p) for p in pids]
    res["rss"] = rss.take()
    res["wall"] = wall
    res["cpu"] = [(b - a) for a, b in zip(c0, c1)]
    res["cpu_pct"] = [100 * x / wall for x in res["cpu"]]
    res["mcpu"] = m1 - m0
    res["mcpu_pct"] = 100 * (m1 - m0) / wall
    return res


def per_op_us(res, ops):
    """Both daemons' and the machine's CPU per operation, in microseconds."""
    ops = max(ops, 1)
    res["us_daemons"] = sum(res["cpu"]) * 1e6 / ops if res["cpu"] else None
    res["us_machine"] = res["mcpu"] * 1e6 / ops


def redis_test(w, cfg, test, opts):
    """redis-benchmark GET from a to a redis-server on b's tunnel address.
    The server is the redis-tools package's binary under the name
    redis-server (it picks its mode by that name), so that the benchmark
    needs no package that would start a system-wide service."""
    dst = cfg.dst
    assert allowed(dst)
    exe = os.path.join(w.tmp, "redis-server")
    if not os.path.exists(exe):
        os.symlink(shutil.which("redis-check-rdb") or "/usr/bin/redis-check-rdb", exe)
    srv = w.spawn(w.ns_b, [exe, "--bind", dst, "--port", str(REDIS_PORT), "--save", "", "--appendonly",
                           "no", "--protected-mode", "no", "--logfile", ""], f"{cfg.dir}/redis-server.log")
    cfg._small_srv = srv
    wait_listen(w, w.ns_b, "t", REDIS_PORT, srv, "redis-server")
    w.run(w.ns_a, ["redis-cli", "-h", dst, "-p", str(REDIS_PORT), "set", "key:__rand_int__", "v" * 64])
    pipe = 16 if test == "rr-p16" else 1

    def bench(n):
        args = ["redis-benchmark", "-h", dst, "-p", str(REDIS_PORT), "-c", "32", "-n", str(n), "-d", "64",
                "-t", "get", "--csv", "-P", str(pipe)]
        r = w.run(w.ns_a, args, timeout=opts.seconds * 20 + 60)
        rows = list(csv.DictReader(io.StringIO(r.stdout[r.stdout.find('"test"'):])))
        if not rows:
            raise Fail(f"redis-benchmark: no CSV: {r.stdout.strip()[-200:]}")
        return rows[0]

    # redis-benchmark counts requests, not time: a short run first (also a
    # warm-up) says how many make BENCH_SECONDS on this tunnel.
    n = max(int(float(bench(2000 * pipe)["rps"]) * opts.seconds), 1000)

    def go():
        row = bench(n)
        return {"rps": float(row["rps"]), "p50_ms": float(row["p50_latency_ms"]),
                "p99_ms": float(row["p99_latency_ms"]), "ops": n}
    return go


def pingpong_test(w, cfg, opts):
    """sockperf UDP ping-pong a -> b, 64-byte messages, round-trip times."""
    dst = cfg.dst
    assert allowed(dst)
    srv = w.spawn(w.ns_b, ["sockperf", "server", "-i", dst, "-p", str(SOCKPERF_PORT)],
                  f"{cfg.dir}/sockperf-server.log")
    cfg._small_srv = srv
    wait_listen(w, w.ns_b, "u", SOCKPERF_PORT, srv, "sockperf server")

    def go():
        t0 = time.monotonic()
        r = w.run(w.ns_a, ["sockperf", "ping-pong", "-i", dst, "-p", str(SOCKPERF_PORT), "-m", "64",
                           "-t", str(opts.seconds), "--full-rtt"], timeout=opts.seconds + 60)
        text = r.stdout + r.stderr
        pct = {m.group(1): float(m.group(2))
               for m in re.finditer(r"percentile (\d+\.\d+) =\s+([0-9.]+)", text)}
        m = re.search(r"RunTime=([0-9.]+) sec; SentMessages=\d+; ReceivedMessages=(\d+)", text)
        if "50.000" not in pct or "99.000" not in pct or not m:
            raise Fail(f"sockperf: no percentiles: {text.strip()[-200:]}")
        # sockperf counts the round trips of its measured span (warm-up
        # and the end left out); the CPU covers its whole run, at the same rate.
        rate = int(m.group(2)) / float(m.group(1))
        return {"p50_us": pct["50.000"], "p99_us": pct["99.000"], "rt_per_s": rate,
                "ops": int(rate * (time.monotonic() - t0))}
    return go


def run_small(w, cfg, test, opts, rss):
    """One real-client run (rr, rr-p16, pingpong) a -> b."""
    cfg._small_srv = None
    try:
        go = pingpong_test(w, cfg, opts) if test == "pingpong" else redis_test(w, cfg, test, opts)
        perfs = start_perf(w, cfg, test, opts)
        res = cpu_window(w, cfg, rss, go)
        res["perf"] = finish_perf(w, perfs)
        per_op_us(res, res["ops"])
    finally:
        w.stop(cfg._small_srv, grace=2)
    cfg.check_alive()
    return res


def start_perf(w, cfg, test, opts):
    """BENCH_PERF: a profile of each daemon (its threads together) during the
    run, with perf record; the run's figures then carry perf's cost."""
    if not opts.perf or not isinstance(cfg, Weft):
        return []
    perfs = []
    for side, pid in zip("ab", cfg.pids()):
        data = f"{cfg.dir}/perf-{test}-{side}.data"
        p = w.spawn(None, ["perf", "record", "-q", "-F", "499", "-g", "-p", str(pid), "-o", data,
                           "--", "sleep", str(opts.seconds)], data + ".log")
        perfs.append((side, data, p))
    return perfs


def finish_perf(w, perfs):
    """The top of each profile: {side: [(percent, symbol)]}, also in the log."""
    out = {}
    for side, data, p in perfs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            w.stop(p)
        r = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "-g", "none",
                            "--percent-limit", "1.5", "--sort", "dso,symbol"],
                           capture_output=True, text=True, timeout=120)
        # Per object first (libcrypto's symbols are often unresolved and
        # spread over many addresses, each too small to list).
        rd = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "-g", "none",
                             "--percent-limit", "1", "--sort", "dso"],
                            capture_output=True, text=True, timeout=120)
        rows = []
        for line in rd.stdout.splitlines():
            m = re.match(r"\s*([0-9.]+)%\s+(\S+)\s*$", line)
            if m:
                rows.append((float(m.group(1)), f"[{m.group(2)} in all]"))
        for line in r.stdout.splitlines():
            m = re.match(r"\s*([0-9.]+)%\s+(\S+)\s+\[.\]\s+(.*)", line)
            if m:
                sym = re.sub(r"(\s+-)+\s*$", "", m.group(3)).strip()  # perf's empty IPC columns
                rows.append((float(m.group(1)), f"{sym} ({m.group(2)})"))
        out[side] = rows
        log(f"  perf {side}: " + "; ".join(f"{pct:.1f}% {sym}" for pct, sym in rows[:16]))
    return out


def profiles(configs, results, tests):
    """BENCH_PERF: each daemon's symbols above 1.5 % of its samples, per test
    (the last round's), as lines of the results file."""
    md = []
    for c in configs:
        for t in tests:
            rs = [r for r in results[c.name].get(t, []) if r.get("perf")]
            if not rs:
                continue
            if not md:
                md = ["Profiles (BENCH_PERF: perf record -g on each daemon, all its threads; "
                      "% of that daemon's samples, self time):", ""]
            for side, rows in sorted(rs[-1]["perf"].items()):
                who = "sender" if side == "a" else "receiver"
                md.append(f"- {c.name} {t}, {who}: " + "; ".join(f"{pct:.1f}% {sym}" for pct, sym in rows))
    return md + [""] if md else []


def idle_ping(w, cfg, opts, rss):
    """Pings through the idle tunnel; the CPU figures of this window show the
    background (the daemons' idle cost, and anything else on the machine)."""
    pids = cfg.pids()
    rss.take()
    c0 = [proc_cpu(p) for p in pids]
    m0 = machine_cpu()
    t0 = time.monotonic()
    r = w.run(w.ns_a, ["ping", "-n", "-c", str(opts.idle_pings), "-i", "0.1", "-W", "1", cfg.dst],
              check=False, timeout=opts.idle_pings + 10)
    wall = time.monotonic() - t0
    m1 = machine_cpu()
    c1 = [proc_cpu(p) for p in pids]
    return {"ping": parse_ping(r.stdout), "rss": rss.take(),
            "cpu_pct": [100 * (b - a) / wall for a, b in zip(c0, c1)],
            "mcpu_pct": 100 * (m1 - m0) / wall}


# --- the table --------------------------------------------------------------


def md_cell(text):
    return text.replace("|", "\\|").replace("\n", " ")


def agg(vals, fmt):
    vals = [v for v in vals if v is not None]
    if not vals:
        return "-"
    med = statistics.median(vals)
    if len(vals) == 1:
        return fmt(med)
    return f"{fmt(med)} ({fmt(min(vals))}–{fmt(max(vals))})"


def f0(x):
    return f"{x:.0f}"


def f1(x):
    return f"{x:.1f}"


def f2(x):
    return f"{x:.2f}"


def fms(x):
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 10 else f"{x:.1f}"


COLS = ["config", "test", "Mbit/s", "loss %", "CPU % a (snd)", "CPU % b (rcv)", "CPU % machine",
        "c/B a (snd)", "c/B b (rcv)", "c/B a+b", "c/B machine", "ping ms", "RSS MiB a/b (max)"]


def table(configs, results, failures, tests):
    rows = ["| " + " | ".join(COLS) + " |", "|" + "---|" * len(COLS)]
    for c in configs:
        if c.name in failures and not any(results[c.name].get(t) for t in ["idle"] + tests):
            rows.append(f"| {c.label()} | - | {md_cell(failures[c.name])} |" + " |" * (len(COLS) - 3))
            continue
        for t in ["idle"] + tests:
            rs = results[c.name].get(t, [])
            if not rs:
                continue
            rss = "-"
            if c.daemons:
                ra = [r["rss"][0] for r in rs if r.get("rss") and r["rss"][0] is not None]
                rb = [r["rss"][1] for r in rs if r.get("rss") and r["rss"][1] is not None]
                rss = f"{max(ra):.1f} / {max(rb):.1f}" if ra and rb else "-"
            def col(key, i=None, fmt=f0):
                if i is not None:
                    if not c.daemons:
                        return "-"
                    return agg([r[key][i] for r in rs], fmt)
                return agg([r.get(key) for r in rs], fmt)
            if t == "idle":
                cells = ["-", "-", col("cpu_pct", 0), col("cpu_pct", 1), col("mcpu_pct")] + ["-"] * 4 + [
                    agg([r["ping"] for r in rs], fms), rss]
            else:
                cells = [
                    agg([r["mbps"] for r in rs], f0),
                    agg([r.get("loss") for r in rs], f2) if t in ("udp", "udp64") else "-",
                    col("cpu_pct", 0), col("cpu_pct", 1), col("mcpu_pct"),
                    col("cpb", 0, f1), col("cpb", 1, f1), col("cpb_sum", fmt=f1) if c.daemons else "-",
                    col("mcpb", fmt=f1),
                    agg([r.get("ping") for r in rs], fms) if t == "tcp1" else "-",
                    rss,
                ]
            name = c.label() if t == "idle" else ""
            rows.append(f"| {name} | {t} | " + " | ".join(cells) + " |")
        if c.name in failures:
            rows.append(f"| | note | {md_cell(failures[c.name])} |" + " |" * (len(COLS) - 3))
    return "\n".join(rows)


def small_summary(t, r):
    if t == "pingpong":
        head = f"RTT p50 {r['p50_us']:.1f} us, p99 {r['p99_us']:.1f} us"
    else:
        head = f"{r['rps']:.0f} req/s, p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms"
    cpu = f", daemons {r['us_daemons']:.1f} us/op" if r.get("us_daemons") is not None else ""
    return head + cpu + f", machine {r['us_machine']:.1f} us/op"


SMALL_COLS = ["config", "redis GET req/s (% of no VPN)", "GET p50 / p99 ms", "GET -P 16 req/s (%)",
              "ping-pong RTT p50 / p99 us (x no VPN)", "UDP 64 B kpps (%)",
              "CPU us per GET: daemons a+b / machine", "CPU us per ping-pong: daemons / machine"]


def small_table(configs, results, failures, tests):
    """The small-packet tests, one row a configuration: medians over the
    rounds, and each against the no-VPN reference of the same run."""
    if not any(t in tests for t in SMALL):
        return ""
    def med(name, t, key):
        vals = [r.get(key) for r in results.get(name, {}).get(t, []) if r.get(key) is not None]
        return statistics.median(vals) if vals else None
    ref = next((c.name for c in configs if c.name == "plain-nooffload" and results[c.name].get("rr")),
               next((c.name for c in configs if not c.daemons and results[c.name]), None))
    def pct(name, t, key, fmt=f0):
        v, r0 = med(name, t, key), med(ref, t, key) if ref else None
        if v is None:
            return "-"
        return fmt(v) + (f" ({100 * v / r0:.0f} %)" if r0 and name != ref else "")
    def times(name, t, k1, k2):
        a, b = med(name, t, k1), med(name, t, k2)
        if a is None or b is None:
            return "-"
        text = f"{a:.1f} / {b:.1f}"
        ra, rb = (med(ref, t, k1), med(ref, t, k2)) if ref else (None, None)
        if ra and rb and name != ref:
            text += f" ({a / ra:.1f}x / {b / rb:.1f}x)"
        return text
    def pair(name, t, k1, k2, fmt):
        a, b = med(name, t, k1), med(name, t, k2)
        if b is None:
            return "-"
        return f"{fmt(a) if a is not None else '-'} / {fmt(b)}"
    rows = ["| " + " | ".join(SMALL_COLS) + " |", "|" + "---|" * len(SMALL_COLS)]
    for c in configs:
        res = results[c.name]
        if not any(res.get(t) for t in SMALL):
            continue
        lat = med(c.name, "rr", "p50_ms"), med(c.name, "rr", "p99_ms")
        rows.append("| " + " | ".join([
            c.label(), pct(c.name, "rr", "rps"),
            f"{lat[0]:.2f} / {lat[1]:.2f}" if None not in lat else "-",
            pct(c.name, "rr-p16", "rps"),
            times(c.name, "pingpong", "p50_us", "p99_us"),
            pct(c.name, "udp64", "kpps"),
            pair(c.name, "rr", "us_daemons", "us_machine", f1),
            pair(c.name, "pingpong", "us_daemons", "us_machine", f1),
        ]) + " |")
    return "\n".join(rows)


# --- the machine ------------------------------------------------------------


def cpu_info():
    model, mhz = "?", []
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name") and model == "?":
                model = line.split(":", 1)[1].strip()
            elif line.startswith("cpu MHz"):
                mhz.append(float(line.split(":", 1)[1]))
    return model, (statistics.mean(mhz) if mhz else None)


def kernel_accounting():
    """CONFIG_HZ and the CPU time accounting, from /proc/config.gz if there."""
    import gzip
    try:
        cfg = gzip.open("/proc/config.gz", "rt").read()
    except OSError:
        return "kernel config not readable"
    hz = re.search(r"^CONFIG_HZ=(\d+)", cfg, re.M)
    kind = ("tick-based" if re.search(r"^CONFIG_TICK_CPU_ACCOUNTING=y", cfg, re.M) else
            "VIRT_CPU_ACCOUNTING_GEN" if re.search(r"^CONFIG_VIRT_CPU_ACCOUNTING_GEN=y", cfg, re.M) else "?")
    irq = "with" if re.search(r"^CONFIG_IRQ_TIME_ACCOUNTING=y", cfg, re.M) else "no"
    return f"CPU accounting {kind}, HZ={hz.group(1) if hz else '?'}, {irq} IRQ time accounting"


def pkg_version(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() else "not installed"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--weft", required=True)
    opts = ap.parse_args()
    opts.rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    opts.seconds = int(os.environ.get("BENCH_SECONDS", "10"))
    opts.udp_len = int(os.environ.get("BENCH_UDP_LEN", "1372"))
    opts.shape_rate = os.environ.get("BENCH_SHAPE", "1gbit")
    opts.idle_pings = int(os.environ.get("BENCH_IDLE_PINGS", "20"))
    opts.perf = os.environ.get("BENCH_PERF", "") not in ("", "0")
    only = [x.strip() for x in os.environ.get("BENCH_ONLY", "").split(",") if x.strip()]
    tests = [x.strip() for x in os.environ.get("BENCH_TESTS", ",".join(TESTS)).split(",") if x.strip()]
    for t in tests:
        if t not in TESTS:
            sys.exit(f"bench: unknown test '{t}' in BENCH_TESTS (known: {', '.join(TESTS)})")
    if opts.rounds < 1 or opts.seconds < 1:
        sys.exit("bench: BENCH_ROUNDS and BENCH_SECONDS must be at least 1")

    # Our own copy of weft: the build may be replaced while we run.
    src_weft = opts.weft
    opts.weft = os.path.join(opts.tmp, "weft")
    shutil.copy2(src_weft, opts.weft)
    subprocess.run([opts.weft, "--help"], check=True, capture_output=True)
    weft_sha = hashlib.sha256(open(opts.weft, "rb").read()).hexdigest()[:12]
    weft_built = datetime.datetime.fromtimestamp(os.stat(src_weft).st_mtime)

    model, mhz = cpu_info()
    opts.hz = (mhz or 0) * 1e6
    if not opts.hz:
        sys.exit("bench: no 'cpu MHz' in /proc/cpuinfo")
    r = subprocess.run(["git", "-C", opts.root, "describe", "--always", "--dirty"], capture_output=True, text=True)
    weft_ver = r.stdout.strip() or "?"
    started = datetime.datetime.now()

    w = World(opts.tmp, opts.prefix)
    stopping = {"sig": None}

    def on_signal(signum, frame):
        stopping["sig"] = signum
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    configs = all_configs(w, opts)
    names = [c.name for c in configs]
    if only:
        unknown = [o for o in only if not any(fnmatch.fnmatchcase(n, o) for n in names)]
        if unknown:
            sys.exit(f"bench: BENCH_ONLY names no configuration: {', '.join(unknown)}\n"
                     f"known: {', '.join(names)}")
        configs = [c for c in configs if any(fnmatch.fnmatchcase(c.name, o) for o in only)]

    results = {c.name: {} for c in configs}
    background = None
    cc = "?"
    failures = {}
    skip = set()
    na = set()  # configurations this build does not have
    try:
        log(f"namespaces {w.ns_a}, {w.ns_b}; {opts.rounds} round(s) of {opts.seconds}s; "
            f"configs: {', '.join(c.name for c in configs)}; tests: {', '.join(tests)}")
        m0, t0 = machine_cpu(), time.monotonic()
        time.sleep(3)
        background = 100 * (machine_cpu() - m0) / (time.monotonic() - t0)
        log(f"machine busy before we start (3 s, nothing of ours running): {background:.0f}% of {os.cpu_count() * 100}")
        w.build()
        cc = w.run(w.ns_a, ["sysctl", "-n", "net.ipv4.tcp_congestion_control"], check=False).stdout.strip() or "?"
        for c in configs:
            try:
                c.prepare()
            except Exception as e:
                failures[c.name] = f"failed to set up: {e}"
                skip.add(c.name)
                log(f"{c.name}: {failures[c.name]}")
        for rnd in range(1, opts.rounds + 1):
            for c in configs:
                if c.name in skip:
                    continue
                log(f"round {rnd}/{opts.rounds}: {c.name}")
                rss = None
                try:
                    w.veth_offloads(c.veth_offload)
                    c.start()
                    rss = RssSampler(c.pids())
                    results[c.name].setdefault("idle", []).append(idle_ping(w, c, opts, rss))
                    for t in tests:
                        if t in ("rr", "rr-p16", "pingpong"):
                            r = run_small(w, c, t, opts, rss)
                            results[c.name].setdefault(t, []).append(r)
                            log(f"  {t}: " + small_summary(t, r))
                            continue
                        r = run_test(w, c, t, opts, rss)
                        results[c.name].setdefault(t, []).append(r)
                        extra = f", loss {r['loss']:.2f}%" if r.get("loss") is not None else ""
                        extra += f", {r['kpps']:.0f} kpps" if r.get("kpps") is not None else ""
                        log(f"  {t}: {r['mbps']:.0f} Mbit/s{extra}, machine {r['mcpb']:.1f} c/B")
                except NotAvailable as e:
                    failures[c.name] = str(e)
                    skip.add(c.name)
                    na.add(c.name)
                    log(f"{c.name}: {e}")
                except Exception as e:  # one configuration's trouble does not stop the others
                    msg = str(e) if isinstance(e, Fail) else f"{type(e).__name__}: {e}"
                    failures[c.name] = "; ".join(x for x in (failures.get(c.name), f"failed in round {rnd}: {msg}") if x)
                    log(f"{c.name}: failed in round {rnd}: {msg}")
                finally:
                    if rss:
                        rss.close()
                    w.unshape()
                    rcs = c.stop()
                    if c.daemons and any(rc not in (None, 0, -15) for rc in rcs) and c.name not in skip:
                        log(f"{c.name}: daemons exited with {rcs} when stopped")
            w.veth_offloads(True)
    except KeyboardInterrupt:
        log("interrupted: cleaning up")
        w.cleanup()
        sys.exit(130 if stopping["sig"] is None else 128 + stopping["sig"])
    finally:
        w.cleanup()

    # --- the report ---
    tbl = table(configs, results, failures, [t for t in tests if t in BULK or t == "udp64"])
    small = small_table(configs, results, failures, tests)
    kernel = os.uname().release
    cores = os.cpu_count()
    vers = {p: pkg_version(p) for p in ("tinc", "nebula", "wireguard-go", "wireguard-tools", "fastd",
                                         "openvpn", "iperf3", "ethtool", "iproute2")}
    notes = [f"- **{c.name}**: {c.note}" for c in configs if c.note]
    md = [
        f"# weft benchmark, {started:%Y-%m-%d %H:%M}",
        "",
        f"- CPU: {model}, {cores} cores, {mhz:.0f} MHz (from /proc/cpuinfo `cpu MHz`; used for cycles per byte)",
        f"- kernel: {kernel} ({kernel_accounting()}); TCP congestion control in the namespaces: {cc} (inherited from the host)",
        f"- weft: {weft_ver} (`git describe --always --dirty` of {opts.root}); binary {src_weft} "
        f"built {weft_built:%Y-%m-%d %H:%M}, sha256 {weft_sha}… (copied at start: a rebuild during the run does not matter)",
        "- peers (Debian packages): " + ", ".join(f"{p} {v}" for p, v in vers.items()),
        f"- machine busy before the run (3 s, nothing of the benchmark running): "
        + (f"{background:.0f}% of {cores * 100}" if background is not None else "?")
        + " (anything above a few % is another load sharing the cores: every figure below is affected; "
        "the idle rows' machine CPU % shows it again before each configuration's tests)",
        f"- {opts.rounds} round(s), interleaved, of {opts.seconds} s per test; "
        f"each cell is median (min–max) over the rounds",
        f"- tests, all iperf3 from namespace a to b: tcp1 = TCP 1 stream; tcp4 = TCP `-P 4`; "
        f"udp = `-u -b 0 -l {opts.udp_len}` (unlimited rate, {opts.udp_len}-byte payloads = "
        f"{opts.udp_len + 28}-byte IP packets, which fit every tunnel's MTU; Mbit/s is what arrived); "
        f"tcp1-1g = TCP 1 stream over a wire shaped to {opts.shape_rate} "
        f"(tbf on both veth ends); idle = {opts.idle_pings} pings through the idle tunnel",
        "- CPU % is of one core (the machine has "
        f"{cores}, so machine CPU % goes to {cores * 100}); a = sending daemon (namespace a), b = receiving; "
        "c/B = CPU seconds × Hz / bytes received by iperf3; ping ms = median RTT "
        "(idle row: idle tunnel; tcp1 row: during the TCP 1-stream run); RSS = max VmRSS sampled every 0.2 s",
        "- caveats (see bench/README.md): both ends, iperf3 and all softirq work share the same cores; "
        "tick-based CPU accounting charges softirq work to whoever runs; the machine column includes "
        "anything else running on the machine; MTUs differ, so compare per byte",
        "",
        tbl,
        "",
        *(["Small packets (median of the rounds; % and x against no VPN, plain-nooffload where it ran, in "
           "the same run): "
           "rr = `redis-benchmark -c 32 -d 64 -t get` against redis-server on b's tunnel address, "
           "unpipelined and `-P 16`; ping-pong = `sockperf ping-pong -m 64 --full-rtt` (UDP, "
           "one message in flight, round-trip times); UDP 64 B = the udp64 row above (`iperf3 -u -b 0 "
           "-l 64`, packets that arrived); CPU per GET or ping-pong = CPU seconds of both daemons "
           "(or of the whole machine: clients, servers and softirq included) over the operations", "",
           small, ""] if small else []),
        "Configurations:",
        "",
        *notes,
        "",
        *profiles(configs, results, tests),
    ]
    text = "\n".join(md)
    print()
    print(text)
    resdir = os.path.join(opts.root, "bench", "results")
    os.makedirs(resdir, exist_ok=True)
    path = os.path.join(resdir, f"{started:%Y-%m-%d-%H%M}.md")
    n = 2
    while os.path.exists(path):  # two runs in one minute
        path = os.path.join(resdir, f"{started:%Y-%m-%d-%H%M}-{n}.md")
        n += 1
    with open(path, "w") as f:
        f.write(text)
    log(f"written to {path}")
    broken = [n for n in failures if n not in na]
    if broken:
        log(f"failed: {', '.join(broken)} (see the table)")
        sys.exit(1)


if __name__ == "__main__":
    main()
