#!/usr/bin/env python3
"""Writes Elastic's Linux Elastic Defend EQL rules as detection-rules `.toml` files.

Reads the rules corpus (elastic/detection-rules at 14cf530f: the query and the metadata the
corpus records for each rule) and writes one `.toml` per rule that is tagged for Linux and reads
an Elastic Defend events index (`logs-endpoint.events*`), under rules/elastic/, mirroring the
layout of detection-rules' rules/ directory.

    scripts/import-elastic-rules.py testdata rules/elastic
"""
import json
import os
import sys


def toml_str(s):
    return json.dumps(s, ensure_ascii=False)


def toml_list(xs):
    return "[" + ", ".join(toml_str(x) for x in xs) + "]"


def query_str(q):
    # A multi-line literal keeps the query byte for byte, as detection-rules writes it.
    if "'''" not in q and not q.endswith("'"):
        return "'''\n" + q + "\n'''"
    return toml_str(q)


# Rules that also read another integration's index, whose fields ECS and Elastic Defend do not
# define: written with `unknown_fields = "allow"` (the unknown-field check would reject them).
OPT_OUT = {
    "rules/linux/privilege_escalation_suspicious_passwd_file_write.toml": "auditd",
    "rules/linux/execution_netcon_from_rwx_mem_region_binary.toml": "auditd",
}
OPT_OUT_REASON = {
    "auditd": [
        "# Also reads auditd.data.* from the Auditd Manager index (logs-auditd_manager.auditd-*),",
        "# which ECS and Elastic Defend do not define: its fields are not checked against them.",
    ],
}


def main(corpus, out):
    rules = [json.loads(l) for l in open(os.path.join(corpus, "elastic-eql-rules.jsonl"))]
    metas = [json.loads(l) for l in open(os.path.join(corpus, "elastic-eql-rules.meta.jsonl"))]
    n = 0
    for r, m in zip(rules, metas):
        assert r["path"] == m["path"]
        if "Linux" not in (m["os"] or []):
            continue
        if not any(i.startswith("logs-endpoint.events") for i in m["index"] or []):
            continue
        rel = r["path"].split("/", 1)[1]
        if r["path"].startswith("rules_building_block/"):
            rel = "building_block/" + rel
        dest = os.path.join(out, rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        lines = [
            f"# elastic/detection-rules@14cf530f {r['path']}",
            "# The query and the metadata the rules corpus records: no description,",
            "# references or MITRE mapping.",
            "",
            "[metadata]",
            f"integration = {toml_list(m['integration'] or [])}",
            "",
            "[rule]",
            'author = ["Elastic"]',
            'license = "Elastic License v2"',
            f"name = {toml_str(r['name'])}",
            f"rule_id = {toml_str(r['rule_id'])}",
            f"severity = {toml_str(r['severity'])}",
            f"risk_score = {r['risk_score']}",
            'type = "eql"',
            'language = "eql"',
            f"index = {toml_list(m['index'])}",
            f"tags = {toml_list(['OS: ' + o for o in m['os']])}",
        ]
        if m.get("building_block_type"):
            lines.append(f"building_block_type = {toml_str(m['building_block_type'])}")
        for key in ("from", "interval", "timestamp_override"):
            if m.get(key):
                lines.append(f"{key} = {toml_str(m[key])}")
        if m.get("max_signals"):
            lines.append(f"max_signals = {m['max_signals']}")
        if r["path"] in OPT_OUT:
            lines += OPT_OUT_REASON[OPT_OUT[r["path"]]]
            lines.append('unknown_fields = "allow"')
        lines.append(f"query = {query_str(r['query'])}")
        with open(dest, "w") as f:
            f.write("\n".join(lines) + "\n")
        n += 1
    print(f"{n} rules written under {out}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
