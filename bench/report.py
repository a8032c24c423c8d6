"""The machine a run was measured on, the table it prints, and the copy of
that table kept in bench/README.md."""
import os
import platform
import subprocess

README_BEGIN = "<!-- bench:table:begin (written by bench/run.py) -->"
README_END = "<!-- bench:table:end -->"


def machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), model)
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cores": os.cpu_count(), "cpu_model": model, "memory_gb": round(mem_gb, 1),
            "kernel": platform.release(),
            # Other work on the machine slows every figure; ratios to a limit
            # measured in the same run are the figures that survive it.
            "load_average_1m_at_start": round(os.getloadavg()[0], 2)}


def git_commit(source_dir):
    try:
        rev = subprocess.run(["git", "-C", source_dir, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", source_dir, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return rev + ("+changes" if dirty else "") if rev else None
    except (OSError, subprocess.SubprocessError):
        return None


def _num(v, unit="", digits=0):
    if v is None:
        return "pending"
    return f"{v:,.{digits}f}{unit}"


def _of(v, what):
    return "" if v is None else f"{100 * v:.0f}% of {what}"


def _verdict(ok):
    return "" if ok is None else ("met" if ok else "MISSED")


def _check(f, key, test):
    return None if f.get(key) is None else test(f[key])


def rows(f):
    """(figure, result, against, target, verdict) per line of the table."""
    n = f.get("import_rows")
    small = f.get("sync_rows_small")
    sizes = f"{small:,} / {n:,} rows" if small and n else "100k / 1M rows"
    rss_flat = None
    if f.get("rss_mb_100k") is not None and f.get("rss_mb_1m") is not None:
        rss_flat = f["rss_mb_1m"] <= 200 and f["rss_mb_1m"] <= 1.5 * f["rss_mb_100k"]
    incremental_ok = None
    if all(f.get(k) is not None for k in ("incremental_p50_ms", "incremental_p99_ms", "incremental_bytes")):
        incremental_ok = (f["incremental_p50_ms"] <= 5 and f["incremental_p99_ms"] <= 20
                          and f["incremental_bytes"] <= 1024)
    return [
        ("1 raw RocksDB ingest (limit)", _num(f.get("raw_ingest_rows_per_s"), " rows/s"),
         f"{n:,} rows" if n else "", "", ""),
        ("2 import (kongsi publish)", _num(f.get("import_rows_per_s"), " rows/s"),
         _of(f.get("import_ratio"), "limit"), ">= 60%",
         _verdict(_check(f, "import_ratio", lambda v: v >= 0.6))),
        ("2 import, London files", _num(f.get("london_import_rows_per_s"), " rows/s"),
         _of(f.get("london_import_ratio"), "its limit"), ">= 60%",
         _verdict(_check(f, "london_import_ratio", lambda v: v >= 0.6))),
        ("3 initial sync A -> fresh B", _num(f.get("sync_rows_per_s"), " rows/s"),
         _of(f.get("sync_ratio"), "limit"), ">= 40%",
         _verdict(_check(f, "sync_ratio", lambda v: v >= 0.4))),
        ("4 incremental change p50 / p99",
         f"{_num(f.get('incremental_p50_ms'), ' ms', 1)} / {_num(f.get('incremental_p99_ms'), ' ms', 1)}",
         _num(f.get("incremental_bytes"), " B on the wire per change"),
         "<= 5 ms / <= 20 ms, <= 1 KB", _verdict(incremental_ok)),
        ("5 re-publish unchanged file", f"{_num(f.get('republish_ops'))} ops, "
         f"{_num(f.get('republish_s'), ' s', 2)}",
         f"{_num(f.get('republish_speedup'), 'x', 1)} faster than import", "0 ops, >= 5x",
         _verdict(_check(f, "republish_speedup", lambda v: v >= 5 and f.get("republish_ops") == 0))),
        ("5 same, every row compared (--recheck)", f"{_num(f.get('republish_recheck_ops'))} ops, "
         f"{_num(f.get('republish_recheck_s'), ' s', 2)}",
         f"{_num(f.get('republish_recheck_speedup'), 'x', 1)} faster than import", "0 ops, >= 5x",
         _verdict(_check(f, "republish_recheck_speedup",
                         lambda v: v >= 5 and f.get("republish_recheck_ops") == 0))),
        (f"6 peak RSS per node in sync, {sizes}",
         f"{_num(f.get('rss_mb_100k'), ' MB')} / {_num(f.get('rss_mb_1m'), ' MB')}", "",
         "<= 200 MB, flat", _verdict(rss_flat)),
        (f"7 convergence, {f.get('convergence_nodes') or 10}-node ring", _num(f.get("convergence_s"), " s", 2),
         "" if f.get("convergence_ops") is None else
         _num(f.get("convergence_ops"), " ops, one partition healed; links up after ") +
         _num(f.get("convergence_reconnect_s"), " s", 2), "<= 2 s",
         _verdict(_check(f, "convergence_s", lambda v: v <= 2))),
        (f"8 PouchDB replication, same {f.get('pouchdb_docs') or 100_000:,} records", _num(f.get("pouchdb_docs_per_s"), " docs/s"),
         "Kongsi " + _num(f.get("sync_rows_per_s_100k"), " rows/s"), "", ""),
    ]


def table(figures, machine_info, notes):
    lines = ["| figure | result | against | target | |", "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows(figures)]
    lines.append("")
    lines.append(f"Measured on {machine_info['cores']} cores ({machine_info['cpu_model']}), "
                 f"{machine_info['memory_gb']} GB RAM, Linux {machine_info['kernel']}, "
                 f"load average {machine_info['load_average_1m_at_start']} at start.")
    for key, note in sorted(notes.items()):
        lines.append(f"- {key}: {note}")
    return "\n".join(lines)


def update_readme(path, text, header):
    """Replaces the table between the markers in bench/README.md."""
    with open(path) as f:
        content = f.read()
    start, end = content.find(README_BEGIN), content.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"{path}: the table markers are missing")
    block = f"{README_BEGIN}\n{header}\n\n{text}\n{README_END}"
    with open(path, "w") as f:
        f.write(content[:start] + block + content[end + len(README_END):])
