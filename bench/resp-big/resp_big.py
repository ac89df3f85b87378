#!/usr/bin/env python3
"""One big RESP command: time to the reply and the server's CPU, for samples/KeyValue and redis-server.

For each total size N MiB and each split S, one command carries N MiB of values in S arguments:
S = 1 is `SET k v` (v = N MiB), S > 1 is `MSET k0 v0 ... k(S-1) v(S-1)` (each v = N/S MiB). The whole command
is built first, then sent on a fresh connection with one sendall; the clock runs from just before the send
to the end of the `+OK` reply. Server CPU is utime+stime of the server process from /proc/PID/stat over the
same interval (10 ms resolution at 100 Hz: small cells read 0 or 10). Each reply is checked (`+OK`, then
`EXISTS` of every key answers S). Servers run side by side (pinned to CPU 0 by default, the client to CPU 1)
and are interleaved: every round sends each (N, S) to every server in turn; the table shows the median of the
rounds and ms per MiB (flat in N when the work is linear, equal across S when the split does not matter).

  python3 bench/resp-big/resp_big.py [--sizes 1,4,16,64] [--splits 1,2,64] [--rounds 3] [--servers keyvalue,redis]
                                     [--server-cpu 0] [--client-cpu 1] [--port 6390] [--out FILE.md]

samples/KeyValue must be built first (dotnet build samples/KeyValue -c Release). Bounded: every server is
killed at the end (and by a SIGALRM after --max-seconds), every socket has a timeout.
"""
import argparse
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KV_DLL = os.path.join(ROOT, "samples/KeyValue/bin/Release/net10.0/KeyValue.dll")
MIB = 1 << 20
TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid):
    """utime+stime of pid, seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def bulk(b):
    return b"$%d\r\n" % len(b) + b + b"\r\n"


def command(args):
    return b"*%d\r\n" % len(args) + b"".join(bulk(a) for a in args)


def big_command(total, split):
    """SET k v (split 1) or MSET with split pairs; the values add up to total bytes."""
    part = total // split
    value = (bytes(range(97, 123)) * (part // 26 + 1))[:part]
    keys = [b"big:%d" % i for i in range(split)]
    if split == 1:
        return keys, command([b"SET", keys[0], value])
    args = [b"MSET"]
    for k in keys:
        args += [k, value]
    return keys, command(args)


def read_reply_line(sock):
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = sock.recv(4096)
        if not chunk:
            raise IOError("connection closed before the reply")
        data += chunk
    return data


def run_one(port, pid, keys, cmd, timeout):
    """Sends cmd on a new connection; returns (seconds to the reply, server CPU seconds)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        cpu0 = proc_cpu(pid)
        t0 = time.perf_counter()
        s.sendall(cmd)
        reply = read_reply_line(s)
        t1 = time.perf_counter()
        cpu1 = proc_cpu(pid)
        if reply != b"+OK\r\n":
            raise IOError(f"expected +OK, got {reply[:80]!r}")
        s.sendall(command([b"EXISTS"] + keys))
        exists = read_reply_line(s)
        if exists != b":%d\r\n" % len(keys):
            raise IOError(f"EXISTS of the {len(keys)} keys answered {exists[:80]!r}")
    return t1 - t0, cpu1 - cpu0


def start(name, port, cpu):
    pin = ["taskset", "-c", str(cpu)] if cpu is not None else []
    if name == "keyvalue":
        argv, ready = pin + ["dotnet", KV_DLL, "--port", str(port)], b"listening on"
    elif name == "redis":
        argv = pin + ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
                      "--daemonize", "no"]
        ready = b"Ready to accept"
    else:
        raise SystemExit(f"unknown server {name} (keyvalue, redis)")
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    seen = b""
    deadline = time.time() + 30
    while ready not in seen:
        line = p.stdout.readline()
        if not line or time.time() > deadline:
            p.kill()
            raise SystemExit(f"{name} did not start: {seen[-300:]!r}")
        seen += line
    return p


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1,4,16,64", help="total MiB per command (at most 256)")
    ap.add_argument("--splits", default="1,2,64", help="value arguments per command (1 = SET)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--servers", default="keyvalue,redis")
    ap.add_argument("--server-cpu", default="0", help="CPU for the servers ('' = not pinned)")
    ap.add_argument("--client-cpu", default="1", help="CPU for this client ('' = not pinned)")
    ap.add_argument("--port", type=int, default=6390)
    ap.add_argument("--timeout", type=float, default=60, help="seconds per command")
    ap.add_argument("--max-seconds", type=int, default=600, help="the whole run")
    ap.add_argument("--out", help="also write the table to this markdown file")
    a = ap.parse_args()
    sizes = [int(x) for x in a.sizes.split(",")]
    splits = [int(x) for x in a.splits.split(",")]
    servers = a.servers.split(",")
    if any(n < 1 or n > 256 for n in sizes) or any(s < 1 for s in splits):
        raise SystemExit("sizes must be 1..256 MiB, splits at least 1")
    signal.alarm(a.max_seconds)
    if a.client_cpu != "":
        os.sched_setaffinity(0, {int(a.client_cpu)})
    server_cpu = int(a.server_cpu) if a.server_cpu != "" else None

    procs = {}
    results = {}  # (server, n, split) -> [(seconds, cpu seconds)]
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    try:
        for i, name in enumerate(servers):
            procs[name] = start(name, a.port + i, server_cpu)
        # One small command each first (JIT, allocator warm-up), not counted.
        for i, name in enumerate(servers):
            keys, cmd = big_command(MIB, 2)
            run_one(a.port + i, procs[name].pid, keys, cmd, a.timeout)
        for r in range(a.rounds):
            for n in sizes:
                for split in splits:
                    keys, cmd = big_command(n * MIB, split)
                    for i, name in enumerate(servers):
                        secs, cpu = run_one(a.port + i, procs[name].pid, keys, cmd, a.timeout)
                        results.setdefault((name, n, split), []).append((secs, cpu))
                        print(f"round {r + 1} {name} {n} MiB / {split}: {secs * 1000:.1f} ms, server CPU {cpu * 1000:.0f} ms",
                              file=sys.stderr)
    finally:
        for p in procs.values():
            p.terminate()
        for p in procs.values():
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
    ru1 = resource.getrusage(resource.RUSAGE_SELF)

    lines = [
        f"Median of {a.rounds} round(s); servers pinned to CPU {a.server_cpu or '-'}, client to CPU {a.client_cpu or '-'}. "
        "time = send of the first byte to the end of the +OK; server CPU = utime+stime of the server over it (10 ms ticks).",
        "",
        "| server | MiB | args | command | time ms | ms/MiB | server CPU ms | CPU ms/MiB | time vs " + (f"{splits[0]} arg(s)" if splits[0] != 1 else "SET") + " |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for name in servers:
        for n in sizes:
            base = None
            for split in splits:
                runs = results[(name, n, split)]
                t = statistics.median(x[0] for x in runs) * 1000
                c = statistics.median(x[1] for x in runs) * 1000
                base = t if split == splits[0] else base
                cmd = "SET" if split == 1 else f"MSET × {split}"
                lines.append(f"| {name} | {n} | {split} | {cmd} | {t:.1f} | {t / n:.2f} | {c:.0f} | {c / n:.1f} | {t / base:.2f}× |")
    client_cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    lines += ["", f"Client CPU for the whole run (building commands included): {client_cpu:.2f} s."]
    text = "\n".join(lines)
    print(text)
    if a.out:
        with open(a.out, "a") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
