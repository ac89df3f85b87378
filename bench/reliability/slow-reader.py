#!/usr/bin/env python3
"""What a peer that does not read costs a server: RSS of the server process before, while and after.

usage: slow-reader.py echo PID PORT [MiB]      send MiB (default 1024) to an echo server without reading
       slow-reader.py getbig PID PORT           pipeline 'GET big' (a 1 MiB value) to a RESP server without reading

Bounded: every send and wait has a time limit; the script stops by itself. Prints one line per phase.
"""
import os, socket, sys, time

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1

def report(phase, pid, extra=""):
    print(f"{phase:<28} server RSS {rss_kib(pid) / 1024:8.1f} MiB {extra}", flush=True)

def echo(pid, port, mib):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(3)  # the server stops reading us: a send that blocks this long means it pushed back
    chunk = b"x" * 65536
    sent = 0
    deadline = time.time() + 120
    try:
        while sent < mib * 1024 * 1024 and time.time() < deadline:
            sent += s.send(chunk)
    except socket.timeout:
        pass
    report("blocked after sending", pid, f"({sent / 1048576:.1f} MiB sent of {mib} MiB)")
    time.sleep(1)
    report("1 s later", pid)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()  # reset: the server drops what it queued

def getbig(pid, port):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(10)
    value = b"v" * (1024 * 1024)
    s.sendall(b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n%s\r\n" % (len(value), value))
    reply = s.recv(16)
    assert reply.startswith(b"+OK"), reply
    report("after SET big (1 MiB)", pid)
    t = socket.create_connection(("127.0.0.1", port))
    t.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    request = b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * 600  # about 13.5 KB: 600 replies of 1 MiB
    t.settimeout(5)
    try:
        t.sendall(request)
    except socket.timeout:
        pass
    time.sleep(2)
    report("600 pipelined GET big", pid, f"({len(request)} bytes sent, nothing read)")
    # Now read: a dropped connection ends (end of file or reset) after what was sent before the drop.
    got, state = 0, "still open after 10 s"
    t.settimeout(10)
    try:
        while True:
            data = t.recv(1 << 20)
            if not data:
                state = "closed by the server"
                break
            got += len(data)
    except ConnectionResetError:
        state = "reset by the server"
    except socket.timeout:
        pass
    state += f", {got / 1048576:.1f} MiB of 600 MiB received"
    report("after the client read", pid)
    print(f"{'the GET client':<28} {state}", flush=True)
    t.close()
    s.close()

def main():
    mode, pid, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    report("baseline", pid)
    if mode == "echo":
        echo(pid, port, int(sys.argv[4]) if len(sys.argv) > 4 else 1024)
    else:
        getbig(pid, port)
    time.sleep(2)
    report("2 s after the client left", pid)

main()
