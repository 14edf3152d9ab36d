#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""UDP helpers for the namespace tests. Every loop is bounded in count and time.

  udptool.py listen ADDR PORT OUTFILE      count datagrams; OUTFILE gets "COUNT" after each
  udptool.py send ADDR PORT TEXT [N]       send TEXT N times (default 1)
  udptool.py ticks ADDR PORT N             send "SEQ TIME" once a second, N times
  udptool.py stamps ADDR PORT OUTFILE      append "SEQ DELAY_MS" to OUTFILE per datagram of ticks
  udptool.py extract PCAP OUT [MINLEN] [TYPE]
                                           write the UDP payloads of weft messages of TYPE
                                           (default 4, data) longer than MINLEN found in PCAP,
                                           one file OUT.N per packet; prints how many
  udptool.py replay ADDR PORT FILE [N]     send FILE's bytes N times
  udptool.py hostile ADDR PORT FILE        corrupted and truncated packets of every type
  udptool.py garbage ADDR PORT SECONDS [FILE...]   random and mutated datagrams, ~2000/s
  udptool.py echo ADDR PORT                answer each datagram "ok LEN" if intact, else "bad LEN"
  udptool.py sweep ADDR PORT MIN MAX       one datagram of every size MIN..MAX to an echo,
                                           each answered: "sizes N ok K bad B lost L"
  udptool.py segmented ADDR PORT SIZE N    N datagrams of SIZE in one UDP_SEGMENT send to an
                                           echo: "segmented N ok K"
  udptool.py delay A_BIND A_PEER B_BIND B_PEER MS SECONDS
                                           relay one pair's datagrams both ways, each MS late:
                                           from A_PEER at A_BIND out of B_BIND to B_PEER, and
                                           back (each ADDR:PORT); prints "relaying", then
                                           "relayed N" at the end
"""
import heapq
import os
import random
import select
import socket
import struct
import sys
import time

import pcapfile


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def listen(addr, port, out):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.bind((addr, port))
    s.settimeout(300)
    n = 0
    with open(out, "w") as f:
        f.write("0\n")
    while True:
        try:
            s.recv(65535)
        except socket.timeout:
            return
        n += 1
        with open(out, "w") as f:
            f.write("%d\n" % n)


def ticks(addr, port, n):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    start = time.monotonic()
    for i in range(int(n)):
        time.sleep(max(0.0, start + i - time.monotonic()))
        s.sendto(b"%d %.6f" % (i, time.time()), (addr, port))


def stamps(addr, port, out):
    """Namespaces share the clock, so the delay is the tunnel's own."""
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.bind((addr, port))
    s.settimeout(300)
    open(out, "w").close()
    while True:
        try:
            b = s.recv(65535)
        except socket.timeout:
            return
        seq, sent = b.split()
        with open(out, "a") as f:
            f.write("%d %d\n" % (int(seq), (time.time() - float(sent)) * 1000))


def sock_for(addr):
    return socket.socket(family(addr), socket.SOCK_DGRAM)


def send(addr, port, text, n=1):
    s = sock_for(addr)
    for _ in range(int(n)):
        s.sendto(text.encode(), (addr, port))
        time.sleep(0.01)


def pcap_packets(path):
    """Yield the UDP payloads of IPv4 packets in a pcap (Ethernet or Linux SLL)."""
    for linktype, pkt in pcapfile.records(path):
        if linktype == 1:       # Ethernet
            if pkt[12:14] != b"\x08\x00":
                continue
            ip = pkt[14:]
        elif linktype == 113:   # Linux cooked
            ip = pkt[16:]
        else:
            continue
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 15) * 4
        yield ip[ihl + 8:]


def extract(pcap, out, minlen=32, mtype=4):
    n = 0
    for payload in pcap_packets(pcap):
        if len(payload) > int(minlen) and payload[0] == int(mtype):
            n += 1
            with open("%s.%d" % (out, n), "wb") as f:
                f.write(payload)
    print(n)


def replay(addr, port, path, n=1):
    pkt = open(path, "rb").read()
    s = sock_for(addr)
    for _ in range(int(n)):
        s.sendto(pkt, (addr, port))
        time.sleep(0.01)


def hostile(addr, port, path):
    """Every message type, truncated at many lengths and corrupted."""
    good = open(path, "rb").read()
    s = sock_for(addr)
    rng = random.Random(7)
    sent = 0
    for t in range(0, 8):
        for length in list(range(0, 40)) + [60, 64, 95, 96, 148, 200, 300, 1000, 1500]:
            body = bytes([t, 1, 0, 0]) + bytes(rng.getrandbits(8) for _ in range(max(0, length - 4)))
            s.sendto(body[:length], (addr, port))
            sent += 1
    # The captured data packet: truncated at every length, then each byte flipped.
    for length in range(len(good)):
        s.sendto(good[:length], (addr, port))
        sent += 1
    for i in range(len(good)):
        b = bytearray(good)
        b[i] ^= 0x40
        s.sendto(bytes(b), (addr, port))
        sent += 1
        if sent % 200 == 0:
            time.sleep(0.02)
    # Wrong version and non-zero reserved bytes on an otherwise good packet.
    for i, v in ((1, 2), (2, 1), (3, 1)):
        b = bytearray(good)
        b[i] = v
        s.sendto(bytes(b), (addr, port))
        sent += 1
    print(sent)


def garbage(addr, port, seconds, *files):
    seeds = [open(f, "rb").read() for f in files]
    s = sock_for(addr)
    rng = random.Random(int.from_bytes(os.urandom(4), "little"))
    end = time.monotonic() + float(seconds)
    sent = 0
    while time.monotonic() < end:
        for _ in range(100):
            r = rng.random()
            if seeds and r < 0.5:
                b = bytearray(rng.choice(seeds))
                for _ in range(rng.randint(1, 4)):
                    b[rng.randrange(len(b))] = rng.getrandbits(8)
                if rng.random() < 0.3:
                    b = b[:rng.randrange(len(b) + 1)]
            else:
                n = rng.choice([0, 1, 3, 4, 8, 15, 16, 31, 32, 33, 64, 96, 148, 200, 1400])
                b = bytearray(rng.getrandbits(8) for _ in range(n))
                if n and rng.random() < 0.7:
                    b[0] = rng.randint(1, 5)
                if n > 1 and rng.random() < 0.7:
                    b[1] = 1
            try:
                s.sendto(bytes(b), (addr, port))
            except OSError:
                pass
            sent += 1
        time.sleep(0.05)
    print(sent)


PATTERN = bytes((i * 7 + (i >> 8)) & 0xFF for i in range(65536))


def content(n):
    """What a datagram of n bytes carries: its length, then the pattern."""
    head = struct.pack("!I", n)[:n]
    return head + PATTERN[len(head):n]


def echo(addr, port):
    """Answer each datagram with "ok LEN" if it carries content(LEN), else "bad LEN"."""
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind((addr, port))
    s.settimeout(300)
    print("listening", flush=True)
    while True:
        try:
            b, peer = s.recvfrom(65536)
        except socket.timeout:
            return
        s.sendto(b"%s %d" % (b"ok" if b == content(len(b)) else b"bad", len(b)), peer)


def sweep(addr, port, lo, hi):
    """Send one datagram of every size from lo to hi and wait for each answer
    (up to 5 tries): print "sizes N ok K bad B lost L"."""
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.settimeout(0.5)
    ok = bad = lost = 0
    for n in range(int(lo), int(hi) + 1):
        msg = content(n)
        for _ in range(5):
            s.sendto(msg, (addr, port))
            try:
                while True:
                    r = s.recv(64).split()
                    if int(r[1]) == n:
                        break
            except socket.timeout:
                continue
            ok += r[0] == b"ok"
            bad += r[0] != b"ok"
            break
        else:
            lost += 1
    print("sizes %d ok %d bad %d lost %d" % (int(hi) - int(lo) + 1, ok, bad, lost), flush=True)


def segmented(addr, port, size, n):
    """One send of n datagrams of size bytes with UDP_SEGMENT (a UDP
    super-packet for the TUN device to hand over whole); print how many
    answers came back "ok"."""
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.settimeout(1)
    size, n = int(size), int(n)
    s.sendmsg([content(size) * n], [(socket.SOL_UDP, 103, struct.pack("=H", size))],
               0, (addr, port))
    ok = 0
    try:
        for _ in range(n):
            ok += s.recv(64).split()[0] == b"ok"
    except socket.timeout:
        pass
    print("segmented %d ok %d" % (n, ok), flush=True)


def hostport(spec):
    host, port = spec.rsplit(":", 1)
    return host.strip("[]"), int(port)


def delay(a_bind, a_peer, b_bind, b_peer, ms, seconds):
    """A UDP relay between two fixed hosts that holds every datagram ms
    milliseconds (no netem here): what A_PEER sends to A_BIND leaves B_BIND
    for B_PEER, and the other way round. Other senders are ignored."""
    a_peer, b_peer = hostport(a_peer), hostport(b_peer)
    socks = []
    for bind in (a_bind, b_bind):
        host, port = hostport(bind)
        s = socket.socket(family(host), socket.SOCK_DGRAM)
        s.bind((host, port))
        socks.append(s)
    route = {socks[0]: (a_peer, socks[1], b_peer), socks[1]: (b_peer, socks[0], a_peer)}
    due, n, seq = [], 0, 0
    end = time.monotonic() + float(seconds)
    print("relaying", flush=True)
    while time.monotonic() < end:
        now = time.monotonic()
        while due and due[0][0] <= now:
            _, _, out, dest, data = heapq.heappop(due)
            out.sendto(data, dest)
            n += 1
        wait = min(end, due[0][0] if due else end) - now
        for s in select.select(socks, [], [], max(wait, 0))[0]:
            data, src = s.recvfrom(65536)
            want, out, dest = route[s]
            if src[:2] == want:
                seq += 1
                heapq.heappush(due, (time.monotonic() + float(ms) / 1000, seq, out, dest, data))
    print("relayed %d" % n, flush=True)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd in ("listen", "send", "replay", "hostile", "garbage", "ticks", "stamps", "echo",
               "sweep", "segmented"):
        args[1] = int(args[1])
    {"listen": listen, "send": send, "extract": extract, "replay": replay,
     "hostile": hostile, "garbage": garbage, "ticks": ticks, "stamps": stamps, "echo": echo,
     "sweep": sweep, "segmented": segmented, "delay": delay}[cmd](*args)
