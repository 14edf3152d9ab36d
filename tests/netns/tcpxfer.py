#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""TCP transfers with end-to-end checksums, for the namespace tests.

  tcpxfer.py recv ADDR PORT [N]           accept N connections (default 1) at once; print
                                          "ID BYTES SHA256" for each, sorted by ID
  tcpxfer.py send ADDR PORT MBYTES [N]    N connections at once (default 1), MBYTES each, of
                                          pseudo-random data; print the same lines
  tcpxfer.py order PCAP                   for the TCP flows in a capture of a TUN device
                                          (raw IP): print "flows F packets P numbered N
                                          reordered R": N packets with another IPv4 ID
                                          than the one before them in their flow, R of
                                          them with an older one

Each connection's data comes from a generator seeded with its ID (sent first, 4
bytes), so a transfer is reproducible; the two sides' lines must be equal.
Bounded: a 120 s socket timeout on every connection. With TCPXFER_RATE=BYTES (per
second, per connection) the sender paces itself: a long, slow stream.

The order check relies on the sender's kernel numbering each TCP segment of a
connection with the next IPv4 ID (Linux does, retransmissions included, and
weft's segmentation keeps the numbering): a packet that arrives after one with
a later ID was reordered on the way.
"""
import hashlib
import os
import random
import selectors
import socket
import struct
import sys
import time

import pcapfile

TIMEOUT = 120
CHUNK = 1 << 20


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


class Sink:
    def __init__(self, conn):
        self.conn, self.buf, self.id = conn, b"", None
        self.h, self.n = hashlib.sha256(), 0

    def feed(self, b):
        if self.id is None:
            self.buf += b
            if len(self.buf) < 4:
                return
            self.id = struct.unpack("!I", self.buf[:4])[0]
            b, self.buf = self.buf[4:], b""
        self.h.update(b)
        self.n += len(b)


def recv(addr, port, n=1):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(max(n, 1))
    s.setblocking(False)
    print("listening", flush=True)
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_READ, None)
    accepted, open_, done = 0, 0, []
    while accepted < n or open_:
        events = sel.select(TIMEOUT)
        if not events:
            raise SystemExit("recv: timed out")
        for key, _ in events:
            if key.data is None:
                c, _ = s.accept()
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ, Sink(c))
                accepted += 1
                open_ += 1
                if accepted == n:
                    sel.unregister(s)
                continue
            sink = key.data
            try:
                b = sink.conn.recv(CHUNK)
            except BlockingIOError:
                continue
            if b:
                sink.feed(b)
                continue
            sel.unregister(sink.conn)
            sink.conn.close()
            open_ -= 1
            done.append(sink)
    for sink in sorted(done, key=lambda x: x.id if x.id is not None else -1):
        print(sink.id, sink.n, sink.h.hexdigest(), flush=True)


class Source:
    def __init__(self, conn, cid, mbytes):
        self.conn, self.id, self.left = conn, cid, mbytes
        self.rng = random.Random(cid + 1)
        self.h, self.n = hashlib.sha256(), 0
        self.pending = memoryview(struct.pack("!I", cid))
        self.rate = int(os.environ.get("TCPXFER_RATE", "0"))
        self.start = time.monotonic()

    def paced(self):
        """True while the next chunk would go out ahead of the rate."""
        return self.rate and time.monotonic() < self.start + self.n / self.rate

    def step(self):
        """Send what the socket takes; False once everything is sent."""
        while True:
            if not self.pending:
                if not self.left:
                    return False
                if self.paced():
                    return True
                b = self.rng.randbytes(CHUNK)
                self.h.update(b)
                self.n += len(b)
                self.left -= 1
                self.pending = memoryview(b)
            try:
                k = self.conn.send(self.pending)
            except BlockingIOError:
                return True
            self.pending = self.pending[k:]


def send(addr, port, mbytes, n=1):
    sel, sources = selectors.DefaultSelector(), []
    for cid in range(n):
        c = socket.create_connection((addr, port), timeout=TIMEOUT)
        c.setblocking(False)
        src = Source(c, cid, mbytes)
        sources.append(src)
        sel.register(c, selectors.EVENT_WRITE, src)
    active = n
    while active:
        events = sel.select(TIMEOUT)
        if not events:
            raise SystemExit("send: timed out")
        for key, _ in events:
            src = key.data
            if not src.step():
                sel.unregister(src.conn)
                src.conn.setblocking(True)
                src.conn.settimeout(TIMEOUT)
                src.conn.shutdown(socket.SHUT_WR)
                src.conn.recv(1)
                src.conn.close()
                active -= 1
        if any(src.rate for src in sources):
            time.sleep(0.01)  # paced: the socket is writable, the clock is not there yet
    for src in sources:
        print(src.id, src.n, src.h.hexdigest(), flush=True)


def raw_packets(pcap):
    """The packets of a pcap file of raw IP (a TUN device)."""
    for linktype, pkt in pcapfile.records(pcap):
        if linktype not in (101, 12, 14, 228, 229):
            raise SystemExit("order: not a raw IP capture (link type %d)" % linktype)
        yield pkt


def order(pcap):
    last, packets, numbered, reordered = {}, 0, 0, 0
    for p in raw_packets(pcap):
        if len(p) < 40 or p[0] >> 4 != 4 or p[9] != 6:
            continue
        ihl = (p[0] & 15) * 4
        if len(p) < ihl + 20 or len(p) - ihl - (p[ihl + 12] >> 4) * 4 <= 0:
            continue  # no payload: pure ACKs are not what weft cuts or joins
        flow = (p[12:16], p[16:20], p[ihl:ihl + 4])
        ipid = struct.unpack("!H", p[4:6])[0]
        packets += 1
        if flow in last:
            numbered += ipid != last[flow]
            reordered += ((ipid - last[flow]) & 0xFFFF) >= 0x8000
        last[flow] = ipid
    print("flows %d packets %d numbered %d reordered %d" % (len(last), packets, numbered,
                                                            reordered))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "recv":
        recv(args[0], int(args[1]), *(int(a) for a in args[2:]))
    elif cmd == "send":
        send(args[0], int(args[1]), int(args[2]), *(int(a) for a in args[3:]))
    elif cmd == "order":
        order(args[0])
    else:
        raise SystemExit(__doc__)
