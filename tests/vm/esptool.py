#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Helpers for the kernel data path tests in the guest. Every wait is bounded.

  esptool.py recv ADDR PORT            accept one TCP connection; print "listening" once
                                       bound, then "BYTES SHA256" of what came
  esptool.py send ADDR PORT TEXT KIB   send TEXT repeated to KIB KiB over TCP; print
                                       "BYTES SHA256" of what was sent
  esptool.py encap ADDR PORT           hold a UDP socket with UDP_ENCAP_ESPINUDP, as an
                                       IKE daemon (or weft) does: the kernel hands ESP
                                       in UDP arriving at this port to xfrm; print
                                       "ready" once set, then wait (at most 600 s)

The encapsulation socket also bypasses the IPsec policies, both ways (what
strongSwan's bypass_socket does): its own datagrams are plain UDP between two
addresses a policy may cover, and without the bypass the kernel checks them
against that policy before it looks for ESP inside, and drops them
(XfrmInTmplMismatch).
  esptool.py encap-nobypass ADDR PORT  the same without the bypass (below)
  esptool.py dgram ADDR PORT TEXT      send TEXT in one UDP datagram
  esptool.py dgram-from SRC ADDR PORT TEXT
                                       the same from source address SRC
  esptool.py dgram-recv ADDR PORT END  print each datagram that arrives, one a line,
                                       until one says END
  esptool.py stream ADDR PORT TEXT STOP
                                       send TEXT over TCP, a chunk every 2 ms, until
                                       the file STOP exists; print "BYTES SHA256"
  esptool.py useq-send ADDR PORT STOP  UDP datagrams "SEQ n", one every 5 ms, until
                                       the file STOP exists; then "END n" (3 times);
                                       print the number sent
  esptool.py useq-recv ADDR PORT       print "listening", then at "END n":
                                       "received R of N missing M"
"""
import hashlib
import socket
import struct
import sys
import time

TIMEOUT = 120
UDP_ENCAP = 100  # linux/udp.h
UDP_ENCAP_ESPINUDP = 2
IP_XFRM_POLICY = 17  # linux/in.h
XFRM_POLICY_IN, XFRM_POLICY_OUT, XFRM_POLICY_ALLOW = 0, 1, 0


def bypass(s):
    """A per-socket policy that allows everything, in and out."""
    for d in (XFRM_POLICY_IN, XFRM_POLICY_OUT):
        # struct xfrm_userpolicy_info (linux/xfrm.h): 168 bytes; the
        # selector's family at 40, dir at 160, action at 161.
        p = bytearray(168)
        struct.pack_into("=H", p, 40, socket.AF_INET)
        p[160], p[161] = d, XFRM_POLICY_ALLOW
        s.setsockopt(socket.IPPROTO_IP, IP_XFRM_POLICY, bytes(p))


def recv(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    s.listen(1)
    s.settimeout(TIMEOUT)
    print("listening", flush=True)
    c, _ = s.accept()
    c.settimeout(TIMEOUT)
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        h.update(b)
        n += len(b)
    print(n, h.hexdigest(), flush=True)


def send(addr, port, text, kib):
    unit = text.encode()
    data = (unit * (int(kib) * 1024 // len(unit) + 1))[: int(kib) * 1024]
    c = socket.create_connection((addr, int(port)), timeout=TIMEOUT)
    c.sendall(data)
    c.shutdown(socket.SHUT_WR)
    c.recv(1)  # the peer's close: everything was received
    c.close()
    print(len(data), hashlib.sha256(data).hexdigest(), flush=True)


def encap(addr, port, policy_bypass=True):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, int(port)))
    s.setsockopt(socket.IPPROTO_UDP, UDP_ENCAP, UDP_ENCAP_ESPINUDP)
    if policy_bypass:
        bypass(s)
    print("ready", flush=True)
    time.sleep(600)


def dgram(addr, port, text):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(text.encode(), (addr, int(port)))


def udp_socket(addr):
    return socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET,
                         socket.SOCK_DGRAM)


def dgram_from(src, addr, port, text):
    s = udp_socket(src)
    s.bind((src, 0))
    s.sendto(text.encode(), (addr, int(port)))


def dgram_recv(addr, port, end):
    s = udp_socket(addr)
    s.bind((addr, int(port)))
    s.settimeout(TIMEOUT)
    print("listening", flush=True)
    while True:
        b = s.recv(65536).decode(errors="replace")
        print(b, flush=True)
        if b == end:
            return


def stopped(path):
    try:
        open(path).close()
        return True
    except OSError:
        return False


def stream(addr, port, text, stop):
    unit = (text.encode() * (4096 // len(text) + 1))[:4096]
    c = socket.create_connection((addr, int(port)), timeout=TIMEOUT)
    h, n, end = hashlib.sha256(), 0, time.time() + 600
    while not stopped(stop) and time.time() < end:
        c.sendall(unit)
        h.update(unit)
        n += len(unit)
        time.sleep(0.002)
    c.shutdown(socket.SHUT_WR)
    c.recv(1)
    c.close()
    print(n, h.hexdigest(), flush=True)


def useq_send(addr, port, stop):
    s = udp_socket(addr)
    n, end = 0, time.time() + 600
    while not stopped(stop) and time.time() < end:
        s.sendto(b"SEQ %d" % n, (addr, int(port)))
        n += 1
        time.sleep(0.005)
    for _ in range(3):
        s.sendto(b"END %d" % n, (addr, int(port)))
        time.sleep(0.05)
    print(n, flush=True)


def useq_recv(addr, port):
    s = udp_socket(addr)
    s.bind((addr, int(port)))
    s.settimeout(TIMEOUT)
    print("listening", flush=True)
    seen = set()
    while True:
        kind, n = s.recv(100).split()
        if kind == b"END":
            total = int(n)
            got = len([i for i in seen if i < total])
            print("received %d of %d missing %d" % (got, total, total - got), flush=True)
            return
        seen.add(int(n))


if __name__ == "__main__":
    cmds = {"recv": recv, "send": send, "encap": encap, "dgram": dgram,
            "encap-nobypass": lambda a, p: encap(a, p, False),
            "dgram-from": dgram_from, "dgram-recv": dgram_recv, "stream": stream,
            "useq-send": useq_send, "useq-recv": useq_recv}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])
