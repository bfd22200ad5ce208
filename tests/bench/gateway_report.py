"""The tables of tests/bench/gateway-load.sh, from its results.txt.

    python3 tests/bench/gateway_report.py target/bench-gateway-load/raw-<time>/results.txt

Every figure is a median over the rounds; the ratios are medians of the
per-round ratios (a, b and c of one round ran one after the other, so other
load on the machine falls on them alike).
"""

import re
import statistics
import sys

TICK_US = 10_000  # /proc/<pid>/stat counts in 1/100 s


def wrk_figures(path):
    text = open(path).read()

    def latency(pct):
        m = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        if not m:
            return float("nan")
        v, unit = float(m.group(1)), m.group(2)
        return v * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    total = int(re.search(r"(\d+) requests in", text).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: (.*)", text)
    return {
        "rps": rps,
        "p50": latency(50),
        "p99": latency(99),
        "total": total,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "errors": errors.group(1).strip() if errors else "",
    }


def main(path):
    head, result, start, mem, idle, runs, first = {}, {}, {}, {}, {}, {}, {}
    for line in open(path):
        parts = line.split()
        if not parts:
            continue
        kind = parts[0]
        if kind in ("DATE", "LOAD", "CPU", "WRK", "RUSTC", "PARAMS"):
            head[kind] = line[len(kind) :].strip()
        elif kind == "RESULT":
            result.setdefault(parts[1], []).append((float(parts[2]), float(parts[3])))
        elif kind == "START":
            start[parts[1]] = (float(parts[2]), int(parts[3]))
        elif kind == "MEM":
            mem[parts[1]] = (int(parts[2]), int(parts[3]))
        elif kind == "IDLE":
            idle[parts[1]] = int(parts[2]) * TICK_US / (float(parts[3]) * 1e6)
        elif kind == "FIRST":
            first[parts[1]] = (int(parts[2]) * TICK_US, int(parts[3]), int(parts[4]))
        elif kind == "RUN":
            label, rnd, f, gw, up, hits, misses = parts[1:8]
            fig = wrk_figures(f)
            fig["gw_us"] = int(gw) * TICK_US / fig["total"]
            fig["up_us"] = int(up) * TICK_US / fig["total"]
            n = int(hits) + int(misses)
            fig["hit"] = int(hits) / n if n else float("nan")
            runs.setdefault(label, {})[int(rnd)] = fig

    med = lambda label, key: statistics.median(r[key] for r in runs[label].values())

    def ratio(x, y, key="rps"):
        rounds = sorted(set(runs[x]) & set(runs[y]))
        return statistics.median(runs[x][r][key] / runs[y][r][key] for r in rounds)

    out = []
    p = out.append
    p("# chatseal gateway under load")
    p("")
    p(f"{head.get('DATE', '')}; {head.get('CPU', '')}; load average at the start "
      f"{head.get('LOAD', '')}; {head.get('WRK', '')}; {head.get('RUSTC', '')}.")
    p(f"{head.get('PARAMS', '')}. RS256 on RSA-3072, user_payload JWE "
      "(RSA-OAEP-256 + A256GCM, RSA-3072 platform key) in every token. "
      "Medians over the rounds; CPU µs per request from /proc (10 ms ticks).")
    p("")
    p("| run | req/s | p50 ms | p99 ms | gateway CPU µs/req | upstream CPU µs/req | cache hits | non-2xx | socket errors |")
    p("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    names = {
        "a-one-token": "(a) gateway, one token repeated",
        "b-distinct": "(b) gateway, a distinct token per request",
        "c-upstream": "(c) the upstream alone",
    }
    order = [l for l in ("a-one-token", "b-distinct", "c-upstream") if l in runs]
    order += sorted((l for l in runs if l not in order), key=lambda l: (l[0], int(l.split("-n")[-1]) if "-n" in l else 0))
    for label in order:
        is_up = label.startswith("c-")
        hit = "—" if is_up else f"{med(label, 'hit'):.0%}"
        gw = "—" if is_up else f"{med(label, 'gw_us'):.0f}"
        non2xx = sum(r["non2xx"] for r in runs[label].values())
        errors = "; ".join(sorted({r["errors"] for r in runs[label].values() if r["errors"]})) or "none"
        p(f"| {names.get(label, label)} | {med(label, 'rps'):,.0f} | {med(label, 'p50'):.2f} | "
          f"{med(label, 'p99'):.2f} | {gw} | {med(label, 'up_us'):.0f} | {hit} | {non2xx} | {errors} |")
    p("")

    def in_process(name):
        r = result.get(name)
        if not r:
            return None
        return (statistics.median(x[0] for x in r), statistics.median(x[1] for x in r))

    v1 = in_process("verify-decrypt-1t")
    v2 = in_process("verify-decrypt-2t")
    vc = in_process("verify-cached-hit-1t")
    if v1 and v2 and vc:
        p("In-process, same run (`TenantVerifier::verify` of distinct tokens, signature + claims + "
          "policy + user_payload decryption; `verify_cached` of one token):")
        p("")
        p("| work | ops/s (wall) | ops per CPU s | µs per op (CPU) |")
        p("|---|---:|---:|---:|")
        p(f"| verify + decrypt, 1 thread | {v1[0]:,.0f} | {v1[1]:,.0f} | {1e6 / v1[1]:.0f} |")
        p(f"| verify + decrypt, 2 threads | {v2[0]:,.0f} | {v2[1]:,.0f} | {1e6 / v2[1]:.0f} |")
        p(f"| verify_cached hit, 1 thread | {vc[0]:,.0f} | {vc[1]:,.0f} | {1e6 / vc[1]:.1f} |")
        p("")

    if all(l in runs for l in ("a-one-token", "b-distinct", "c-upstream")):
        ab = ratio("a-one-token", "b-distinct")
        ac = ratio("a-one-token", "c-upstream")
        bc = ratio("b-distinct", "c-upstream")
        p("Ratios (medians of the per-round ratios):")
        p("")
        p("| ratio | value | target | |")
        p("|---|---:|---:|---|")
        p(f"| (a) / (b): the cache-hit speed-up | {ab:.1f} | ≥ 3 | {'met' if ab >= 3 else 'MISSED'} |")
        p(f"| (a) / (c): gateway with the repeated token over the upstream alone | {ac:.2f} | ≥ 0.25 | {'met' if ac >= 0.25 else 'MISSED'} |")
        p(f"| (b) / (c) | {bc:.3f} | | |")
        if v1 and v2 and vc:
            b = med("b-distinct", "rps")
            a = med("a-one-token", "rps")
            p(f"| (b) / in-process verify + decrypt, 2 threads (wall clock; compares moments) | {b / v2[0]:.2f} | | |")
            p(f"| (b) / in-process verify + decrypt, 1 thread (wall clock) | {b / v1[0]:.2f} | | |")
            p(f"| (a) / in-process verify_cached hit, 1 thread | {a / vc[0]:.3f} | | |")
            bgw = med("b-distinct", "gw_us")
            agw = med("a-one-token", "gw_us")
            p(f"| gateway CPU per request (b) over in-process verify + decrypt CPU | {bgw * v1[1] / 1e6:.2f} | | |")
            p(f"| gateway CPU per request (b) minus in-process verify + decrypt CPU, µs | {bgw - 1e6 / v1[1]:.0f} | | |")
            p(f"| gateway CPU per request (a), µs (HTTP both ways + cache hit) | {agw:.0f} | | |")
        p("")

    if start:
        p("Tenants (tenants_dir; RSS of the gateway after start and after its runs):")
        p("")
        p("| tenants | platform key per tenant | start s | RSS at start MiB | RSS after the runs MiB | peak RSS MiB | idle CPU (polling) |")
        p("|---:|---|---:|---:|---:|---:|---:|")
        rows = []
        for label, (secs, rss) in start.items():
            plain = label.startswith("plain-")
            n = int(label.split("n")[-1])
            after, hwm = mem.get(label, (rss, rss))
            rows.append((plain, n, secs, rss, after, hwm, idle.get(label)))
        rows.sort()
        for plain, n, secs, rss, after, hwm, idl in rows:
            idl = f"{idl:.1%}" if idl is not None else "—"
            p(f"| {n:,} | {'no' if plain else 'yes'} | {secs:.2f} | {rss / 1024:.1f} | {after / 1024:.1f} | {hwm / 1024:.1f} | {idl} |")
        p("")
        for label, (us, n, sent) in sorted(first.items(), key=lambda x: x[1][1]):
            p(f"- First request to each of {n:,} tenants ({sent:,} requests cycling over them, one token): "
              f"{us / n / 1000:.2f} ms of gateway CPU per tenant.")
        for plain in (False, True):
            rs = sorted((n, rss) for (pl, n, _, rss, _, _, _) in rows if pl == plain)
            if len(rs) >= 2 and rs[-1][0] > rs[0][0]:
                per = (rs[-1][1] - rs[0][1]) * 1024 / (rs[-1][0] - rs[0][0])
                what = "without a platform key" if plain else "with its own copy of the platform keyring's key"
                p(f"- Memory per tenant {what}: {per / 1024:.1f} KiB "
                  f"(RSS at start, {rs[0][0]:,} → {rs[-1][0]:,} tenants).")
        p("")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1])
