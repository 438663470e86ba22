#!/usr/bin/env python3
"""Where a training or evaluation run spends its CPU time, from a `perf record` of the process (issue 16).

    perf record -e cpu-clock -F 499 -p <pid> -o run.perf -- sleep 60    # 60 s of a running reprodiff / bench process
    python3 tools/profile/perf_summary.py run.perf [--top 3] [--json]

`perf report` lists the sampled symbols of libtorch, MKL, OpenMP, libc and the kernel; this script sorts them into the
categories the speed work of issue 16 acts on (the matrix products' kernels, their packing, OpenMP threads waiting,
random numbers, element-wise work, ...) and prints one Markdown table, each category's share of the CPU samples (every
thread's, so on 2 cores a thread spinning in OpenMP while the other works counts). Managed .NET code shows as the
runtime's libraries or as `[unknown]` addresses unless the process ran with DOTNET_PerfMapEnabled=1. Exit code 2 with one
message when the file is missing or perf cannot read it.
"""
import argparse
import json
import os
import re
import subprocess
import sys

# (category, test on "dso symbol"), first match wins; the order puts specific patterns before general ones
CATEGORIES = [
    ("matrix products: kernels", re.compile(r"gemm_kernel|gemm_.*(?:zen|skx|avx512|amx)|brgemm|_kernel_.*gemm|xsgemv|sgemv", re.I)),
    ("matrix products: packing and scaling", re.compile(r"mkl_blas|gemm|mkldnn|dnnl|onednn", re.I)),
    ("OpenMP threads waiting or waking", re.compile(r"libgomp|libiomp|gomp_|kmp_", re.I)),
    ("random numbers (dropout masks, noise, sampling)", re.compile(r"uniform_kernel|normal_kernel|bernoulli|CPUGeneratorImpl|mt19937|randperm|random_", re.I)),
    ("softmax, log-softmax, layer norm", re.compile(r"softmax|LayerNorm|RowwiseMoments", re.I)),
    ("optimiser element-wise (Adam)", re.compile(r"addcdiv|addcmul|_foreach|lerp|sSqrt", re.I)),
    ("reductions (sum, mean)", re.compile(r"cascade_sum|reduce|sum_kernel|mean_kernel|norm_kernel", re.I)),
    ("element-wise and copies (mul, add, activation, fill, copy)", re.compile(r"VectorizedLoop|cpu_kernel|basic_loop|Sleef|vml|copy_kernel|fill_kernel|gelu|tanh|sigmoid|where_kernel|index|gather|scatter|embedding|cat_|TensorIterator", re.I)),
    ("memory: allocation, memset/memmove, page faults", re.compile(r"malloc|free|memset|memmove|memcpy|mmap|munmap|brk|page|_int_|unlink_chunk|clear_page|handle_mm_fault|do_anonymous", re.I)),
    (".NET runtime and managed code", re.compile(r"libcoreclr|libclrjit|System\.|ReproDiff|TorchSharp|libLibTorchSharp|\[unknown\]|perf-\d+\.map", re.I)),
    ("kernel (other)", re.compile(r"\[kernel|\[k\]", re.I)),
    ("libtorch dispatch and bookkeeping", re.compile(r"libtorch|libc10", re.I)),
]
OTHER = "other"


def fail(message: str) -> None:
    print(f"perf_summary: {message}", file=sys.stderr)
    sys.exit(2)


def samples(path: str) -> list[tuple[float, str, str]]:
    """(percent, dso, symbol) of every sampled symbol, from perf report's flat listing."""
    if not os.path.isfile(path):
        fail(f"{path}: no such perf data file")
    try:
        out = subprocess.run(["perf", "report", "-i", path, "--stdio", "--no-children", "--sort", "dso,symbol", "-g", "none"],
                             capture_output=True, text=True, check=False)
    except FileNotFoundError:
        fail("perf is not installed (Debian: apt install linux-perf)")
    if out.returncode != 0:
        fail(f"{path}: perf report failed: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode}")
    rows = []
    for line in out.stdout.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*?)(?:\s+-\s+-)?\s*$", line)
        if m:
            rows.append((float(m.group(1)), m.group(2), m.group(4).strip()))
    if not rows:
        fail(f"{path}: perf report listed no samples")
    return rows


def categorise(rows):
    shares: dict[str, float] = {}
    tops: dict[str, list[tuple[float, str]]] = {}
    for percent, dso, symbol in rows:
        text = f"{dso} {symbol}"
        name = next((c for c, pattern in CATEGORIES if pattern.search(text)), OTHER)
        shares[name] = shares.get(name, 0.0) + percent
        tops.setdefault(name, []).append((percent, short(symbol, dso)))
    return shares, tops


def short(symbol: str, dso: str) -> str:
    """A readable name: the kernel's name inside libtorch's templated callbacks, else the symbol cut to 60 characters."""
    if symbol.startswith(("mkl_", "Sleef_")):
        return symbol
    generic = {"cpu_serial_kernel", "cpu_kernel", "cpu_kernel_vec", "serial_kernel"}
    if symbol.startswith("_Z"):  # a lambda perf could not demangle: its innermost named kernel
        names = [n for n in re.findall(r"\d([a-z][a-z_]*_kernel)", symbol) if n not in generic]
        if names:
            return names[-1]
    for pattern in (r"(?<![A-Za-z_])([A-Za-z][A-Za-z_]*(?:_kernel|Kernel)\w*)", r"native::(?:\(anonymous namespace\)::)?(?:\w+::)?(\w+)"):
        m = re.search(pattern, symbol)
        if m and m.group(1) not in generic:
            return m.group(1)
    if symbol.startswith("0x"):
        return os.path.basename(dso)
    return symbol[:60]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("perf_data")
    parser.add_argument("--top", type=int, default=2, help="symbols named per category (default 2)")
    parser.add_argument("--json", action="store_true", help="print the shares as JSON instead of a table")
    args = parser.parse_args()
    if args.top < 0:
        fail(f"--top {args.top}: must be 0 or more")
    shares, tops = categorise(samples(args.perf_data))
    order = sorted(shares, key=lambda c: -shares[c])
    if args.json:
        print(json.dumps({c: round(shares[c], 2) for c in order}, indent=2))
        return
    print("| where the CPU time goes | share of samples | largest symbols |")
    print("|---|---|---|")
    for c in order:
        named = {}
        for percent, name in sorted(tops[c], reverse=True):
            named[name] = named.get(name, 0.0) + percent
        top = ", ".join(f"{n} {p:.1f}%" for n, p in sorted(named.items(), key=lambda kv: -kv[1])[: args.top])
        print(f"| {c} | {shares[c]:.1f}% | {top} |")


if __name__ == "__main__":
    main()
