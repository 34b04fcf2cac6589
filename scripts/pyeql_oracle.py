#!/usr/bin/env python3
"""Python `eql` 1.0.1 as an outside oracle for the v2 IMDS rule.

Streams an NDJSON workload through Python eql's engine with the input adapter that makes its
(older, Endgame-derived) dialect answer as Elasticsearch does for this one rule, and, given the
alerts `eql-detect --format ndjson` wrote for the same input, reports whether both found the same
sequences.

    python3 scripts/pyeql_oracle.py WORKLOAD.ndjson[.gz] [--alerts ALERTS.ndjson]

Known dialect differences the adapter papers over (see docs/conformance.md and eql_conformance::PYTHON_DIALECT):
  1. Python eql has no timestamp sort: events are fed sorted by (@timestamp, arrival).
  2. Categories come from `event_type`: set to the rule's category found in `event.category`.
  3. Null or missing join keys join in Python; Elasticsearch drops the event: such events are dropped.
  4. `==` is case-insensitive in Python (one global switch) and arrays never match: the `==` fields
     of the rule (host.os.type, event.type, event.action, destination.ip) are decided here with
     Elasticsearch's semantics (exact, any element, ip-typed) and replaced by the literal or a
     non-matching marker.
  5. `not` on a missing field is false in Python, true in Elasticsearch: the fields that appear only
     under `not` (process.working_directory, process.parent.executable) are filled with "".
  6. Array values of the `:` fields are reduced to one element (Python has no any-element match);
     lines where that could change the answer are counted and reported as not comparable.
  7. maxspan is compared in nanoseconds (time_unit = 1e9), so sub-second bounds are exact.
Only the IMDS rule is adapted; other rules need their own adapter.
"""

import argparse
import gzip
import ipaddress
import json
import sys
import time

RULE_FIELDS_EQ = {
    "host.os.type": "linux",
    "event.type": "start",
}
ACTIONS = ("exec", "connection_attempted")
COLON_FIELDS = ("process.name", "process.executable", "process.command_line")
NOT_ONLY_FIELDS = ("process.working_directory", "process.parent.executable")
KEYS = ("host.id", "process.parent.entity_id")
IMDS = ipaddress.ip_address("169.254.169.254")


def values(doc, path):
    """Every value of a dotted field, as Elasticsearch indexes it (nested or dotted keys, arrays)."""
    out = []

    def walk(node, prefix):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{prefix}.{k}" if prefix else k)
        elif isinstance(node, list):
            for v in node:
                walk(v, prefix)
        elif node is not None and prefix == path:
            out.append(node)

    walk(doc, "")
    return out


def keyword(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return v if isinstance(v, str) else json.dumps(v)


def parse_ts(v):
    """@timestamp to integer nanoseconds (RFC 3339 with up to 9 digits, or epoch millis)."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return int(round(v * 1_000_000))
    s = str(v)
    if s.lstrip("-").isdigit():
        return int(s) * 1_000_000
    from datetime import datetime
    frac_ns = 0
    main = s
    tz = ""
    if s.endswith("Z"):
        main, tz = s[:-1], "+00:00"
    else:
        for sign in ("+", "-"):
            i = s.rfind(sign)
            if i > 10:
                main, tz = s[:i], s[i:]
                break
    if "." in main:
        main, frac = main.split(".", 1)
        frac_ns = int((frac + "000000000")[:9])
    dt = datetime.fromisoformat(main + (tz or "+00:00"))
    return int(dt.timestamp()) * 1_000_000_000 + frac_ns


def canonical(doc):
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


def adapt(doc):
    """The doc Python eql sees, or (None, reason) when Elasticsearch would not consider it."""
    cats = [keyword(c) for c in values(doc, "event.category")]
    if "process" in cats:
        cat = "process"
    elif "network" in cats:
        cat = "network"
    else:
        return None, "other category"
    flat = {"event_type": cat}
    for k in KEYS:
        vs = [keyword(v) for v in values(doc, k)]
        if not vs:
            return None, "missing join key"
        if len(vs) > 1:
            return None, "multi-valued join key"
        flat[k] = vs[0]
    for field, lit in RULE_FIELDS_EQ.items():
        vs = [keyword(v) for v in values(doc, field)]
        flat[field] = lit if lit in vs else "x-no-match"
    acts = [keyword(v) for v in values(doc, "event.action")]
    flat["event.action"] = next((a for a in ACTIONS if a in acts), "x-no-match")
    ips = []
    for v in values(doc, "destination.ip"):
        try:
            ip = ipaddress.ip_address(str(v).split("%")[0])
            if getattr(ip, "ipv4_mapped", None):
                ip = ip.ipv4_mapped
            ips.append(ip)
        except ValueError:
            pass
    flat["destination.ip"] = "169.254.169.254" if IMDS in ips else "x-no-match"
    for field in COLON_FIELDS:
        vs = [keyword(v) for v in values(doc, field)]
        if len(vs) > 1:
            return None, "multi-valued pattern field"
        if vs:
            flat[field] = vs[0]
    for field in NOT_ONLY_FIELDS:
        vs = [keyword(v) for v in values(doc, field)]
        if len(vs) > 1:
            return None, "multi-valued pattern field"
        flat[field] = vs[0] if vs else ""
    nested = {}
    for path, v in flat.items():
        cur = nested
        parts = path.split(".")
        for p in parts[:-1]:
            cur = cur.setdefault(p, {})
        cur[parts[-1]] = v
    return nested, None


def read_lines(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            yield line


def rule_query(path):
    text = open(path, encoding="utf-8").read()
    # Drop the leading metadata comment block; Python eql reads the query itself.
    if text.lstrip().startswith("/*"):
        text = text[text.index("*/") + 2:]
    lines = [l for l in text.splitlines() if not l.lstrip().startswith("//")]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workload")
    ap.add_argument("--rule", default="rules/imds.eql")
    ap.add_argument("--alerts", help="eql-detect --format ndjson output for the same workload")
    args = ap.parse_args()

    import eql.utils
    from eql.engine import PythonEngine
    from eql.events import Event
    from eql.parser import elasticsearch_syntax, parse_query

    eql.utils.CASE_INSENSITIVE = True
    with elasticsearch_syntax:
        query = parse_query(rule_query(args.rule))

    started = time.perf_counter()
    docs, skipped, bytes_read = [], {}, 0
    for arrival, line in enumerate(read_lines(args.workload)):
        bytes_read += len(line)
        try:
            doc = json.loads(line)
            ts = parse_ts(values(doc, "@timestamp")[0])
        except Exception:
            skipped["unreadable"] = skipped.get("unreadable", 0) + 1
            continue
        adapted, why = adapt(doc)
        if adapted is None:
            skipped[why] = skipped.get(why, 0) + 1
            continue
        adapted["timestamp"] = ts
        adapted["_id"] = arrival
        docs.append((ts, arrival, adapted, canonical(doc)))
    docs.sort(key=lambda d: (d[0], d[1]))
    by_id = {d[1]: d[3] for d in docs}

    found = []
    engine = PythonEngine({"time_unit": 1_000_000_000})
    engine.add_output_hook(lambda r: found.append(tuple(by_id[e.data["_id"]] for e in r.events)))
    engine.add_query(query)
    engine.stream_events([Event.from_data(d[2]) for d in docs])
    elapsed = time.perf_counter() - started
    print(f"python eql: {len(found)} sequences over {sum(1 for _ in by_id)} adapted events "
          f"({bytes_read / 1e6:.1f} MB in {elapsed:.2f} s, {bytes_read / 1e6 / elapsed:.2f} MB/s); "
          f"not considered: {skipped}", file=sys.stderr)

    if args.alerts:
        ours = []
        for line in open(args.alerts, encoding="utf-8"):
            alert = json.loads(line)
            ours.append(tuple(canonical(e) for e in alert["events"]))
        same = sorted(ours) == sorted(found)
        only_ours = set(ours) - set(found)
        only_py = set(found) - set(ours)
        print(f"eql-detect: {len(ours)} alerts; agreement: {'identical' if same else 'DIFFERENT'}"
              f" (only eql-detect: {len(only_ours)}, only python eql: {len(only_py)})")
        sys.exit(0 if same else 1)
    print(len(found))


if __name__ == "__main__":
    main()
