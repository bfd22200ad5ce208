"""Python mint rate next to the Rust mint rate, same machine, same run.

RS256 with an RSA-2048 client key, a `context` claim, one thread unless noted.
Informative only: nothing asserts on these numbers.

    python bindings/bench/mint_rate.py [seconds-per-case]

Runs `cargo run --release -p chatseal-ffi --example mint_rate` for the Rust
side (set CARGO_TARGET_DIR as usual), then the installed `chatseal` package.
"""

import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import chatseal

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
CONTEXT = {"name": "Ada", "email": "ada@example.com"}


def rate(fn, seconds=SECONDS):
    for _ in range(20):
        fn()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(20):
            fn()
        n += 20
    return n / (time.perf_counter() - start)


def threaded_rate(fn, threads, seconds=SECONDS):
    stop = time.perf_counter() + seconds
    counts = [0] * threads
    barrier = threading.Barrier(threads)

    def work(i):
        barrier.wait()
        start = time.perf_counter()
        while time.perf_counter() < stop:
            fn()
            counts[i] += 1
        return time.perf_counter() - start

    with ThreadPoolExecutor(threads) as pool:
        elapsed = max(pool.map(work, range(threads)))
    return sum(counts) / elapsed


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    rust = subprocess.run(
        ["cargo", "run", "--quiet", "--release", "-p", "chatseal-ffi", "--example", "mint_rate",
         "--", str(SECONDS)],
        cwd=root, check=True, capture_output=True, text=True,
    )
    rust_rates = json.loads(rust.stdout.strip().splitlines()[-1])

    key = chatseal.ClientSigningKey.generate(chatseal.Algorithm.RS256, rsa_bits=2048)
    platform = chatseal.PlatformDecryptionKey.generate(bits=2048)
    issuer = chatseal.Issuer(key, issuer="https://host.example", audience="chat-platform",
                             platform_key=platform.encryption_key())

    py_plain = rate(lambda: issuer.mint("user-42", context=CONTEXT))
    py_sso = rate(lambda: issuer.mint("user-42", context=CONTEXT, sso_token="idp-token"))
    cores = os.cpu_count() or 1
    py_threads = threaded_rate(lambda: issuer.mint("user-42", context=CONTEXT), cores)

    result = {
        "alg": "RS256",
        "rsa_bits": 2048,
        "cpus": cores,
        "rust_core_mint_per_s": rust_rates["core_mint_per_s"],
        "rust_ffi_wrapper_mint_per_s": rust_rates["ffi_wrapper_mint_per_s"],
        "python_mint_per_s": round(py_plain),
        "python_vs_rust": round(py_plain / rust_rates["core_mint_per_s"], 3),
        "rust_core_mint_with_sso_token_per_s": rust_rates["core_mint_with_sso_token_per_s"],
        "python_mint_with_sso_token_per_s": round(py_sso),
        f"python_mint_per_s_{cores}_threads": round(py_threads),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
