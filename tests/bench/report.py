#!/usr/bin/env python3
"""Turns the raw output of tests/bench/compare.sh into the results table.

    python3 report.py <raw.txt> <meta.txt> [<out.md>]

raw.txt holds, from every run, `RUN <n>` markers, the `openssl speed` output
(after `OPENSSL wall` for `-elapsed`, `OPENSSL cpu` for the default, which
divides by user CPU time) and the peers' `RESULT <impl> <op> <ops per wall
second> <ops per CPU second>` / `MEMORY <done> <hwm kB> <rss kB>` /
`CHECK ...` / `SKIP ...` lines. Each figure in the table is the
median over the runs; "spread" is (max - min) / median.

The OpenSSL ideal is what the work costs in bare RSA operations measured by
`openssl speed` in the same session: a mint is one private-key operation, a
verify one public-key operation, a mint with an encrypted sso_token and a
verify + decrypt one of each (1 / (1/sign + 1/verify)).

The key paths of issue 13 (`<op>/<path>` results: RS256 + RSA-OAEP-256 on
RSA-2048/3072/4096, ES256 + ECDH-ES+A256KW on P-256, Ed25519 +
ECDH-ES+A256KW on X25519) get their own table, with aws-lc-rs's bare
primitives measured in the same run as the ideal, the OpenSSL figures of the
same primitives, and every ratio issue 13 asks for, met or missed.

Standard library only; the markdown table is printed and, with <out.md>,
written there too.
"""

import re
import statistics
import sys
from collections import defaultdict

# (op, label, ideal key)
OPS = [
    ("mint", "mint RS256 (key parsed once)", "mint"),
    ("mint-pem", "mint RS256, PEM key parsed per call", "mint"),
    ("mint-jwe", "mint RS256 + sso_token JWE", "both"),
    ("verify", "verify RS256", "verify"),
    ("verify-unparsed", "verify RS256, public key parsed per call", "verify"),
    ("verify-decrypt", "verify RS256 + decrypt JWE", "both"),
]
IMPLS = [
    ("openssl", "OpenSSL ideal (openssl speed)"),
    ("chatseal", "chatseal"),
    ("chatseal-py", "chatseal Python binding"),
    ("aws-lc-rs", "aws-lc-rs bare RSA ops (chatseal's backend)"),
    ("jsonwebtoken", "jsonwebtoken (aws_lc_rs)"),
    ("josekit", "josekit (OpenSSL)"),
    ("jose", "Node jose"),
    ("pyjwt+jwcrypto", "PyJWT + jwcrypto"),
]
EXTRA = [
    ("RS256-3072", "rsa3072"),
    ("PS256-2048", "rsa2048"),
    ("ES256", "ecdsap256"),
]


def parse(raw_path):
    """Figures per clock: results[clock][(impl, op)] and
    speed[clock][(alg, "sign"|"verify")] are lists over the runs."""
    results = {"wall": defaultdict(list), "cpu": defaultdict(list)}
    speed = {"wall": defaultdict(list), "cpu": defaultdict(list)}
    memory = []
    checks = []
    skips = []
    ossl_clock = "wall"
    with open(raw_path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            m = re.match(r"^RESULT (\S+) (\S+) ([0-9.]+)(?: ([0-9.]+|-))?$", line)
            if m:
                results["wall"][(m[1], m[2])].append(float(m[3]))
                if m[4] and m[4] != "-":
                    results["cpu"][(m[1], m[2])].append(float(m[4]))
                continue
            m = re.match(r"^OPENSSL (wall|cpu)$", line)
            if m:
                ossl_clock = m[1]
                continue
            m = re.match(r"^MEMORY (\d+) (\d+) (\d+)$", line)
            if m:
                memory.append((int(m[1]), int(m[2]), int(m[3])))
                continue
            if line.startswith("CHECK "):
                checks.append(line[6:])
                continue
            if line.startswith("SKIP "):
                skips.append(line[5:])
                continue
            # openssl speed, OpenSSL 3.x:
            #   rsa 2048 bits 0.000613s 0.000018s   1631.8  55555.6
            #   256 bits ecdsa (nistp256)   0.0000s   0.0001s  41000.0  13000.0
            sp = speed[ossl_clock]
            m = re.match(r"^rsa\s+(\d+) bits\s+\S+s\s+\S+s\s+([0-9.]+)\s+([0-9.]+)\s*$", line)
            if m:
                sp[(f"rsa{m[1]}", "sign")].append(float(m[2]))
                sp[(f"rsa{m[1]}", "verify")].append(float(m[3]))
                continue
            m = re.match(
                r"^\s*256 bits ecdsa \(nistp256\)\s+\S+s\s+\S+s\s+([0-9.]+)\s+([0-9.]+)\s*$",
                line,
            )
            if m:
                sp[("ecdsap256", "sign")].append(float(m[1]))
                sp[("ecdsap256", "verify")].append(float(m[2]))
                continue
            #   256 bits ecdh (nistp256)   0.0001s  18094.9
            #   253 bits ecdh (X25519)   0.0000s  26085.0
            m = re.match(r"^\s*\d+ bits ecdh \((nistp256|X25519)\)\s+\S+s\s+([0-9.]+)\s*$", line)
            if m:
                name = "ecdhp256" if m[1] == "nistp256" else "ecdhx25519"
                sp[(name, "op")].append(float(m[2]))
                continue
            #   253 bits EdDSA (Ed25519)   0.0000s   0.0001s  23378.0   9134.0
            m = re.match(
                r"^\s*253 bits EdDSA \(Ed25519\)\s+\S+s\s+\S+s\s+([0-9.]+)\s+([0-9.]+)\s*$",
                line,
            )
            if m:
                sp[("ed25519", "sign")].append(float(m[1]))
                sp[("ed25519", "verify")].append(float(m[2]))
    return results, speed, memory, checks, skips


def med(xs):
    return statistics.median(xs) if xs else None


def spread(xs):
    if len(xs) < 2:
        return ""
    m = statistics.median(xs)
    return f"{(max(xs) - min(xs)) / m * 100:.0f}%" if m else ""


def ideal_of(speed, alg, kind):
    s, v = med(speed[(alg, "sign")]), med(speed[(alg, "verify")])
    if s is None or v is None:
        return None, []
    if kind == "mint":
        return s, speed[(alg, "sign")]
    if kind == "verify":
        return v, speed[(alg, "verify")]
    runs = [1 / (1 / a + 1 / b) for a, b in zip(speed[(alg, "sign")], speed[(alg, "verify")])]
    return 1 / (1 / s + 1 / v), runs


def fmt_ops(x):
    return "—" if x is None else f"{x:,.0f}"


def fmt_ratio(x):
    return "—" if x is None else f"{x:.2f}"


def fmt_ratio3(x):
    return "—" if x is None else f"{x:.3f}"


def op_table(results, speed, skips):
    """The main table for one clock; returns its lines and the medians."""
    out = ["| work | implementation | ops/s | × OpenSSL ideal | × chatseal | spread |"]
    out.append("|---|---|---:|---:|---:|---:|")
    medians = {}
    for op, label, kind in OPS:
        ideal, ideal_runs = ideal_of(speed, "rsa2048", kind)
        medians[("openssl", op)] = ideal
        cs = med(results.get(("chatseal", op), []))
        first = True
        for impl, name in IMPLS:
            if impl == "openssl":
                if op in ("mint-pem", "verify-unparsed") or ideal is None:
                    continue
                x, runs = ideal, ideal_runs
            else:
                runs = results.get((impl, op), [])
                x = med(runs)
                medians[(impl, op)] = x
                if x is None:
                    continue
            out.append(
                "| {} | {} | {} | {} | {} | {} |".format(
                    label if first else "",
                    name,
                    fmt_ops(x),
                    fmt_ratio(x / ideal if x and ideal else None),
                    fmt_ratio(x / cs if x and cs else None),
                    spread(runs),
                )
            )
            first = False
    # Other key types, chatseal only.
    rows = []
    for name, alg in EXTRA:
        for op, kind in (("mint", "mint"), ("verify", "verify")):
            runs = results.get(("chatseal", f"{op}/{name}"), [])
            x = med(runs)
            if x is None:
                continue
            ideal, _ = ideal_of(speed, alg, kind)
            rows.append(
                f"| {op} {name} | {fmt_ops(x)} | {fmt_ops(ideal)} | "
                f"{fmt_ratio(x / ideal if ideal else None)} | {spread(runs)} |"
            )
    if rows:
        out += ["", "chatseal with other keys (no sso_token):", ""]
        out.append("| work | chatseal ops/s | OpenSSL ideal | × ideal | spread |")
        out.append("|---|---:|---:|---:|---:|")
        out += rows
    return out, medians


# ------------------------------------------------------ key paths (issue 13)

# (path, label, OpenSSL (signature alg, key-management primitive)): the
# key-management primitive is RSA's public (mint) / private (verify + decrypt)
# operation, or one ECDH agreement.
PATHS = [
    ("rsa2048", "RS256 + RSA-OAEP-256, RSA-2048", ("rsa2048", None)),
    ("rsa3072", "RS256 + RSA-OAEP-256, RSA-3072", ("rsa3072", None)),
    ("rsa4096", "RS256 + RSA-OAEP-256, RSA-4096", ("rsa4096", None)),
    ("p256", "ES256 + ECDH-ES+A256KW, P-256", ("ecdsap256", "ecdhp256")),
    ("x25519", "Ed25519 + ECDH-ES+A256KW, X25519", ("ed25519", "ecdhx25519")),
]
PATH_OPS = [("mint-jwe", "mint + sso_token JWE"), ("verify-decrypt", "verify + decrypt")]
# Issue 13's bars for verify + decrypt: (EC path, RSA path, bar); None: no
# bar, reported all the same. The host's mint is held to the same bars
# ("the host's mint likewise").
PATH_TARGETS = [
    ("p256", "rsa2048", 2.5),
    ("p256", "rsa3072", 7.0),
    ("p256", "rsa4096", 15.0),
    ("x25519", "rsa2048", 4.0),
    ("x25519", "rsa3072", 10.0),
    ("x25519", "rsa4096", None),
]


def path_ideal(speed, path, op):
    """OpenSSL's figure for one path op: one signature operation (sign for
    mint, verify for verify + decrypt) plus one key-management operation (an
    RSA public operation for mint (≈ verify), a private one for verify +
    decrypt (≈ sign); one ECDH agreement, both ways: `openssl speed` does not
    time the mint's ephemeral key generation, so the EC mint figure is an
    upper bound)."""
    sig, kem = dict((p, i) for p, _, i in PATHS)[path]
    if kem is None:
        s, v = med(speed[(sig, "sign")]), med(speed[(sig, "verify")])
        return 1 / (1 / s + 1 / v) if s and v else None
    one = med(speed[(sig, "sign" if op == "mint-jwe" else "verify")])
    agree = med(speed[(kem, "op")])
    return 1 / (1 / one + 1 / agree) if one and agree else None


def paths_table(results, speed):
    """The key-path table for one clock; returns its lines and the medians
    (impl, op, path) -> ops/s, with "ideal" and "openssl" as impls."""
    medians = {}
    for (impl, op), runs in results.items():
        if "/" in op:
            kind, path = op.split("/", 1)
            medians[(impl, kind, path)] = med(runs)
    if not any(k[0] == "chatseal" for k in medians):
        return [], {}
    out = [
        "| work | keys | chatseal ops/s | µs | aws-lc-rs primitives | chatseal × | "
        "aws-lc-rs + KDF, AES-KW, GCM | chatseal × | OpenSSL ideal | chatseal × | "
        "npm jose | jwcrypto | spread |"
    ]
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for op, op_label in PATH_OPS:
        first = True
        for path, label, _ in PATHS:
            cs = medians.get(("chatseal", op, path))
            prim = medians.get(("aws-lc-rs", op, path))
            full = medians.get(("aws-lc-rs", f"{op}-full", path))
            ossl = path_ideal(speed, path, op)
            medians[("openssl", op, path)] = ossl

            def x(other):
                return fmt_ratio(cs / other if cs and other else None)

            out.append(
                f"| {op_label if first else ''} | {label} | {fmt_ops(cs)} | "
                f"{'—' if not cs else f'{1e6 / cs:,.0f}'} | {fmt_ops(prim)} | {x(prim)} | "
                f"{fmt_ops(full)} | {x(full)} | {fmt_ops(ossl)} | {x(ossl)} | "
                f"{fmt_ops(medians.get(('jose', op, path)))} | "
                f"{fmt_ops(medians.get(('jwcrypto', op, path)))} | "
                f"{spread(results.get(('chatseal', f'{op}/{path}'), []))} |"
            )
            first = False
    return out, medians


# (speed key, label) of the primitives the key paths use.
PRIMITIVES = [
    ("rsa2048", "RSA-2048"),
    ("rsa3072", "RSA-3072"),
    ("rsa4096", "RSA-4096"),
    ("ecdsap256", "ECDSA P-256"),
    ("ed25519", "Ed25519"),
    ("ecdhp256", "ECDH P-256"),
    ("ecdhx25519", "ECDH X25519"),
]


def primitives_table(speed):
    """`openssl speed` of each primitive, both clocks (medians)."""
    out = [
        "| primitive | sign (or agreement) /s, wall | verify /s, wall | "
        "sign (or agreement) /s, CPU | verify /s, CPU |",
        "|---|---:|---:|---:|---:|",
    ]
    for key, label in PRIMITIVES:
        cells = []
        for clock in ("wall", "cpu"):
            sp = speed.get(clock, {})
            first = med(sp.get((key, "sign"), [])) or med(sp.get((key, "op"), []))
            cells += [fmt_ops(first), fmt_ops(med(sp.get((key, "verify"), [])))]
        if any(c != "—" for c in cells):
            out.append(f"| {label} | " + " | ".join(cells) + " |")
    return out


def path_ratio(meds, impl, op, a, b):
    x, y = meds.get((impl, op, a)), meds.get((impl, op, b))
    return x / y if x and y else None


def path_targets(wall, cpu):
    """Every ratio issue 13 asks for, in both clocks, with the same ratio of
    aws-lc-rs's bare primitives (what any implementation on this backend
    could reach)."""

    def verdict(got, bar):
        if bar is None:
            return "(no bar)"
        return "not measured" if got is None else ("met" if got >= bar else "MISSED")

    out = [
        "| ratio | bar | wall clock | | CPU time | | bare primitives, wall | CPU |",
        "|---|---:|---:|---|---:|---|---:|---:|",
    ]
    for op, op_label in PATH_OPS:
        for ec, rsa, bar in PATH_TARGETS:
            w = path_ratio(wall, "chatseal", op, ec, rsa)
            c = path_ratio(cpu, "chatseal", op, ec, rsa)
            bw = path_ratio(wall, "aws-lc-rs", op, ec, rsa)
            bc = path_ratio(cpu, "aws-lc-rs", op, ec, rsa)
            out.append(
                f"| {op_label}: {ec} ÷ {rsa} | {'—' if bar is None else f'≥ {bar:g}'} | "
                f"{fmt_ratio(w)} | {verdict(w, bar)} | {fmt_ratio(c)} | "
                f"{verdict(c, bar) if cpu else ''} | {fmt_ratio(bw)} | {fmt_ratio(bc)} |"
            )
        for path in ("p256", "x25519"):
            for ideal, bar, name in (
                ("", 0.9, "aws-lc-rs primitives"),
                ("-full", None, "aws-lc-rs + KDF, AES-KW, GCM"),
            ):
                def r(meds):
                    x, y = meds.get(("chatseal", op, path)), meds.get(("aws-lc-rs", op + ideal, path))
                    return x / y if x and y else None

                w, c = r(wall), r(cpu)
                out.append(
                    f"| {op_label}: chatseal {path} ÷ {name} | "
                    f"{'—' if bar is None else f'≥ {bar:g}'} | {fmt_ratio3(w)} | "
                    f"{verdict(w, bar)} | {fmt_ratio3(c)} | "
                    f"{verdict(c, bar) if cpu else ''} | | |"
                )
    return out


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    results, speed, memory, checks, skips = parse(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8") as f:
        meta = f.read().rstrip("\n")
    out = [meta, ""]

    out += ["### Operations per second of wall-clock time", ""]
    lines, medians = op_table(results["wall"], speed["wall"], skips)
    out += lines
    out.append("")
    out.append(
        "No row: the library has no such operation (jsonwebtoken has no JWE) or "
        "the peer was not installed."
    )
    for s in skips:
        out.append(f"Skipped: {s}")
    cpu_medians = {}
    if results["cpu"] and speed["cpu"]:
        out += ["", "### Operations per second of CPU time (process user + system)", ""]
        out.append(
            "The same runs divided by the CPU time each process used: much less "
            "disturbed by other work on a shared machine (OpenSSL's figure here is "
            "its default, per user CPU second). Trust the wall-clock table on a quiet "
            "machine."
        )
        out.append("")
        lines, cpu_medians = op_table(results["cpu"], speed["cpu"], skips)
        out += lines
    # The key paths of issue 13.
    path_lines, path_wall = paths_table(results["wall"], speed["wall"])
    path_cpu = {}
    if path_lines:
        out += [
            "",
            "### Key paths (issue 13): mint and verify + decrypt with a 1,536-character sso_token",
            "",
            "Per second of wall-clock time. The whole widget-token job through chatseal's "
            "public API on each pair of client and platform keys (both RSA keys of the "
            "same size). **aws-lc-rs primitives**: the issue's ideal, measured bare in the "
            "same run on the same token: one signature verification plus one RSA-OAEP "
            "decryption or one ECDH agreement (verify + decrypt); one signature plus one "
            "RSA-OAEP encryption or one ephemeral key generation and agreement (mint). "
            "**+ KDF, AES-KW, GCM**: also every symmetric step of the JWE (Concat KDF, AES "
            "key wrap, AES-256-GCM of the payload). **OpenSSL ideal**: `openssl speed` of "
            "the same primitives (no ephemeral key generation in the EC mint: an upper "
            "bound). npm jose and jwcrypto do the same job on the same keys.",
            "",
        ]
        out += path_lines
        if results["cpu"] and speed["cpu"]:
            lines, path_cpu = paths_table(results["cpu"], speed["cpu"])
            out += ["", "The same per second of CPU time (process user + system):", ""]
            out += lines
        out += ["", "`openssl speed` of the primitives (medians):", ""]
        out += primitives_table(speed)
        out += ["", "#### Ratios (issue 13)", ""]
        out += path_targets(path_wall, path_cpu)
        out += [
            "",
            "Mint is held to the verify + decrypt bars (\"the host's mint likewise\"). "
            "The last two columns are the same ratio of aws-lc-rs's bare primitives in the "
            "same run: about the most any implementation on this backend could show.",
        ]

    cpu_results = results["cpu"]
    results = results["wall"]

    # Threads: wall-clock scaling, and CPU time per call (per thread).
    scaling, projected = {}, {}
    rows = []
    for op in ("mint", "verify"):
        one = med(results.get(("chatseal", f"{op}-1t"), []))
        two = med(results.get(("chatseal", f"{op}-2t"), []))
        c1 = med(cpu_results.get(("chatseal", f"{op}-1t"), []))
        c2 = med(cpu_results.get(("chatseal", f"{op}-2t"), []))
        if one and two:
            scaling[op] = two / one
            eff = c2 / c1 if c1 and c2 else None
            if eff:
                projected[op] = 2 * eff
            rows.append(
                f"| {op} | {fmt_ops(one)} | {fmt_ops(two)} | {two / one:.2f}× | "
                f"{fmt_ops(c1)} | {fmt_ops(c2)} | {fmt_ratio(eff)} |"
            )
    if rows:
        out += ["", "### chatseal on 1 and 2 threads (one shared Issuer / Verifier)", ""]
        out.append(
            "| work | 1 thread ops/s | 2 threads ops/s | scaling | "
            "ops per thread-CPU s, 1 thread | same, 2 threads | CPU efficiency |"
        )
        out.append("|---|---:|---:|---:|---:|---:|---:|")
        out += rows
        out.append("")
        out.append(
            "Wall-clock scaling needs two idle cores. CPU efficiency (calls per "
            "thread-CPU second with 2 threads over 1) shows contention even on a busy "
            "machine: 1.00 means none, and 2 × efficiency is the scaling two idle cores "
            "would give."
        )

    # Memory.
    growth = None
    if memory:
        out += ["", "### chatseal memory: verifications in one process (VmHWM = peak RSS)", ""]
        out.append("| verifications | VmHWM kB | VmRSS kB |")
        out.append("|---:|---:|---:|")
        for done, hwm, rss in memory:
            out.append(f"| {done:,} | {hwm:,} | {rss:,} |")
        at = {d: h for d, h, _ in memory}
        base = at.get(100_000) or (memory[1][1] if len(memory) > 1 else memory[0][1])
        last_done, last_hwm, _ = memory[-1]
        growth = last_hwm - base
        out.append("")
        out.append(
            f"Peak RSS growth from 100,000 to {last_done:,} verifications: {growth} kB "
            f"({'no growth' if growth <= 256 else 'GROWS'}; the bar is 256 kB, allocator noise)."
        )

    # Targets from issue 7.
    def ratio(meds, a, b):
        x, y = meds.get(a), meds.get(b)
        return x / y if x and y else None

    pairs = [
        ("mint ≥ 0.92 × OpenSSL ideal", ("chatseal", "mint"), ("openssl", "mint"), 0.92),
        (
            "verify + decrypt ≥ 0.92 × OpenSSL ideal",
            ("chatseal", "verify-decrypt"),
            ("openssl", "verify-decrypt"),
            0.92,
        ),
        (
            "mint ≥ 2.2 × jsonwebtoken (PEM parsed per call)",
            ("chatseal", "mint"),
            ("jsonwebtoken", "mint-pem"),
            2.2,
        ),
        ("mint ≥ 1.4 × Node jose", ("chatseal", "mint"), ("jose", "mint"), 1.4),
        (
            "verify ≥ 0.85 × OpenSSL bare verify",
            ("chatseal", "verify"),
            ("openssl", "verify"),
            0.85,
        ),
        (
            "Python binding mint ≥ 0.85 × Rust",
            ("chatseal-py", "mint"),
            ("chatseal", "mint"),
            0.85,
        ),
    ]

    def verdict(got, bar):
        return "not measured" if got is None else ("met" if got >= bar else "MISSED")

    out += ["", "### Targets (issue 7)", ""]
    out.append("| target | wall clock | | CPU time | |")
    out.append("|---|---:|---|---:|---|")
    for name, a, b, bar in pairs:
        w, c = ratio(medians, a, b), ratio(cpu_medians, a, b)
        out.append(
            f"| {name} | {fmt_ratio3(w)} | {verdict(w, bar)} | {fmt_ratio3(c)} | "
            f"{verdict(c, bar) if cpu_medians else ''} |"
        )
    for op in ("mint", "verify"):
        got, proj = scaling.get(op), projected.get(op)
        out.append(
            f"| 2 threads ≥ 1.85 × 1 thread ({op}; CPU: 2 × efficiency) | {fmt_ratio(got)} | "
            f"{verdict(got, 1.85)} | {fmt_ratio(proj)} | {verdict(proj, 1.85) if proj else ''} |"
        )
    if growth is not None:
        out.append(
            f"| no memory growth over {memory[-1][0]:,} verifications | {growth} kB | "
            f"{'met' if growth <= 256 else 'MISSED'} | | |"
        )

    if checks:
        bad = [c for c in checks if not c.endswith(" ok")]
        out += [
            "",
            f"Peer tokens verified by chatseal: {len(checks) - len(bad)} of {len(checks)} ok"
            + ("" if not bad else "; FAILED: " + "; ".join(bad)),
        ]

    text = "\n".join(out) + "\n"
    sys.stdout.write(text)
    if len(sys.argv) == 4:
        with open(sys.argv[3], "w", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
