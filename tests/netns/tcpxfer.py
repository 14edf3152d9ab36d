#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""TCP transfer with an end-to-end checksum, for the namespace tests.

  tcpxfer.py recv ADDR PORT          accept one connection, print "BYTES SHA256"
  tcpxfer.py send ADDR PORT MBYTES   send pseudo-random data, print "BYTES SHA256"

The data comes from a seeded generator, so a transfer is reproducible; the two
sides' lines must be equal. Bounded: a 120 s socket timeout on both ends.
"""
import hashlib
import random
import socket
import sys

TIMEOUT = 120


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def recv(addr, port):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1)
    s.settimeout(TIMEOUT)
    print("listening", flush=True)
    c, _ = s.accept()
    c.settimeout(TIMEOUT)
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(1 << 20)
        if not b:
            break
        h.update(b)
        n += len(b)
    print(n, h.hexdigest(), flush=True)


def send(addr, port, mbytes):
    rng = random.Random(1)
    c = socket.create_connection((addr, port), timeout=TIMEOUT)
    h, n = hashlib.sha256(), 0
    for _ in range(mbytes):
        b = rng.randbytes(1 << 20)
        c.sendall(b)
        h.update(b)
        n += len(b)
    c.shutdown(socket.SHUT_WR)
    c.recv(1)
    c.close()
    print(n, h.hexdigest(), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "recv":
        recv(sys.argv[2], int(sys.argv[3]))
    else:
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
