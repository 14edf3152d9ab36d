#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""One DNS question over UDP, made and read by hand (no resolver library).

  dnsask.py SERVER NAME TYPE     TYPE A or AAAA; prints the rcode's name and
                                 the addresses answered, sorted, space-separated
                                 ("NOERROR 100.64.0.2", "NXDOMAIN"), or
                                 "timeout" after 1 s without an answer
  dnsask.py flood SERVER NAME N  N questions from one socket, 2,000 a second
                                 (no queue on the way overflows); prints
                                 "sent N in SECONDS"
"""
import random
import socket
import struct
import sys
import time

TYPES = {"A": 1, "AAAA": 28}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


def query(qid, name, qtype):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)  # RD, one question
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", TYPES[qtype], 1)


def skip_name(msg, i):
    while True:
        n = msg[i]
        if n == 0:
            return i + 1
        if n & 0xC0:
            return i + 2  # a compression pointer ends the name
        i += 1 + n


def read(msg, qid):
    rid, flags, qd, an = struct.unpack("!HHHH", msg[:8])
    if rid != qid or not flags & 0x8000:
        return "bad answer"
    i = 12
    for _ in range(qd):
        i = skip_name(msg, i) + 4
    addrs = []
    for _ in range(an):
        i = skip_name(msg, i)
        rtype, _, _, rdlen = struct.unpack("!HHIH", msg[i:i + 10])
        i += 10
        if rtype == 1:
            addrs.append(socket.inet_ntop(socket.AF_INET, msg[i:i + rdlen]))
        elif rtype == 28:
            addrs.append(socket.inet_ntop(socket.AF_INET6, msg[i:i + rdlen]))
        i += rdlen
    return " ".join([RCODES.get(flags & 0xF, str(flags & 0xF))] + sorted(addrs))


def flood(server, name, n):
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    t0 = time.monotonic()
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        for i in range(n):
            s.sendto(query(i & 0xFFFF, name, "A"), (server, 53))
            time.sleep(0.0005)
    print("sent %d in %.3f" % (n, time.monotonic() - t0))


def main():
    if sys.argv[1] == "flood":
        flood(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    server, name, qtype = sys.argv[1:4]
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    qid = random.randrange(65536)
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(1.0)
        s.sendto(query(qid, name, qtype), (server, 53))
        try:
            msg, _ = s.recvfrom(4096)
        except (socket.timeout, ConnectionRefusedError):
            print("timeout")
            return
    print(read(msg, qid))


main()
