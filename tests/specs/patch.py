#!/usr/bin/env python3
"""Write mock-ready copies of the vendor API specs in this folder.

Each official spec needs one small fix before the Prism mock server can serve it:
- pagerduty-rest: responses are declared as application/json while requests must
  accept application/vnd.pagerduty+json;version=2, so the JSON content is copied
  under the vendor media type too.
- opsgenie-swagger: the Swagger 2.0 file has no `consumes`, so JSON is declared.
- jira-platform-v3: examples are stored as JSON-encoded strings; they are decoded.
pagerduty-events-v2 needs no fix.

Usage: patch.py OUT_DIR   (writes OUT_DIR/<name>.json for each spec)
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PD_MEDIA = "application/vnd.pagerduty+json"


def _pagerduty_rest(spec: dict) -> dict:
    def fix(responses: dict) -> None:
        for response in responses.values():
            content = response.get("content", {}) if isinstance(response, dict) else {}
            if "application/json" in content and PD_MEDIA not in content:
                content[PD_MEDIA] = content["application/json"]

    for item in spec.get("paths", {}).values():
        for op in item.values():
            if isinstance(op, dict) and "responses" in op:
                fix(op["responses"])
    fix(spec.get("components", {}).get("responses", {}))
    return spec


def _opsgenie(spec: dict) -> dict:
    spec.setdefault("consumes", ["application/json"])
    spec.setdefault("produces", ["application/json"])
    return spec


def _decode_examples(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("example", "value") and isinstance(value, str) and value[:1] in "{[":
                try:
                    node[key] = json.loads(value)
                    continue
                except ValueError:
                    pass
            _decode_examples(value)
    elif isinstance(node, list):
        for value in node:
            _decode_examples(value)
    return node


FIXES = {
    "pagerduty-rest": _pagerduty_rest,
    "pagerduty-events-v2": lambda spec: spec,
    "opsgenie-swagger": _opsgenie,
    "jira-platform-v3": _decode_examples,
}


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    out.mkdir(parents=True, exist_ok=True)
    for name, fix in FIXES.items():
        spec = json.loads((HERE / f"{name}.json").read_text())
        (out / f"{name}.json").write_text(json.dumps(fix(spec)))
        print(out / f"{name}.json")


if __name__ == "__main__":
    main()
