"""Cross-checks `orderflow-codegen check` with cfn-lint on the adoption corpus's SAM,
CloudFormation and CDK templates (tests/adoption/corpus): a template cfn-lint finds an error in
must fail `check` too, and a case the corpus calls valid must have no cfn-lint error.

Usage: python3 .ci/adoption_cfn_lint.py ORDERFLOW_BINARY
"""

import json
import pathlib
import subprocess
import sys

orderflow = str(pathlib.Path(sys.argv[1]).resolve())
root = pathlib.Path(__file__).resolve().parent.parent
corpus = root / "tests" / "adoption" / "corpus"
cases = {c["case"]: c for c in json.loads((corpus / "cases.json").read_text())}

failures = []
linted = flagged = 0
for name, case in sorted(cases.items()):
    if not case["form"].startswith(("sam-", "cfn-", "cdk-")):
        continue
    folder = corpus / name
    templates = [
        p
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and (p.name in ("template.yaml", "template.json") or p.name.endswith(".template.json"))
    ]
    for template in templates:
        linted += 1
        lint = subprocess.run(
            ["cfn-lint", "--format", "json", str(template)], capture_output=True, text=True
        )
        findings = json.loads(lint.stdout or "[]")
        errors = sorted({f["Rule"]["Id"] for f in findings if f["Level"] == "Error"})
        if not errors:
            continue
        flagged += 1
        if case["verdict"] == "valid":
            failures.append(f"{template.relative_to(root)}: a valid case, cfn-lint errors {errors}")
            continue
        result = subprocess.run(
            [orderflow, "check", str(template), "--format", "json"], capture_output=True, text=True
        )
        ours = [d["code"] for d in json.loads(result.stdout or "[]") if d["severity"] == "error"]
        if not ours:
            failures.append(f"{template.relative_to(root)}: cfn-lint errors {errors}, orderflow none")
        else:
            print(f"{template.relative_to(root)}: cfn-lint {errors}, orderflow {sorted(set(ours))}")

print(f"cfn-lint on {linted} adoption templates: errors in {flagged}, each also an orderflow error")
if failures:
    print("\n".join(failures))
    sys.exit(1)
