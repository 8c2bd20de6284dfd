"""Runs asl-validator and orderflow on the definitions and the corpus; see .ci/asl-cross-check."""

import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

validator, orderflow = sys.argv[1], str(pathlib.Path(sys.argv[2]).resolve())
root = pathlib.Path(__file__).resolve().parent.parent


def asl_valid(path):
    # --no-arn-check: Resources are ${Placeholder}s, substituted at deploy time.
    result = subprocess.run(
        [validator, "--json-path", str(path), "--no-arn-check", "--silent"],
        capture_output=True, text=True,
    )
    return result.returncode == 0


def orderflow_errors(folder):
    result = subprocess.run(
        [orderflow, "check", str(folder), "--format", "json"], capture_output=True, text=True
    )
    if result.returncode not in (0, 1):
        sys.exit(f"orderflow-codegen check {folder} exited {result.returncode}: {result.stderr}")
    return [d["code"] for d in json.loads(result.stdout) if d["severity"] == "error"]


failures = []
for definition in sorted((root / "definitions").iterdir()):
    if not asl_valid(definition / "workflow.asl.json"):
        failures.append(f"asl-validator rejects {definition.name}")

# The deployable copies generate writes (literal Lambda ARNs as placeholders) must stay valid.
for copy in sorted((root / "generated-example").glob("*/statemachine.asl.json")):
    if not asl_valid(copy):
        failures.append(f"asl-validator rejects {copy.relative_to(root)}")

rejected = agreed = only_orderflow = 0
for case in sorted((root / "tests" / "corpus").iterdir()):
    if case.name.startswith("_") or not (case / "workflow.asl.json").exists():
        continue
    spec = json.loads((case / "case.json").read_text()) if (case / "case.json").exists() else {}
    base = root / spec.get("base", "tests/corpus/_base/minimal")
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp) / case.name
        shutil.copytree(base, folder, ignore=shutil.ignore_patterns("examples"))
        for relative in spec.get("remove", []):
            (folder / relative).unlink(missing_ok=True)
        for f in case.rglob("*"):
            if f.is_file() and f.name not in ("case.json", "diagnostics.snap"):
                target = folder / f.relative_to(case)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(f, target)
        errors = orderflow_errors(folder)
        if not asl_valid(folder / "workflow.asl.json"):
            rejected += 1
            if errors:
                agreed += 1
            else:
                failures.append(f"{case.name}: asl-validator rejects it, orderflow reports no error")
        elif errors:
            only_orderflow += 1

print(f"asl-validator rejects {rejected} corpus workflows; orderflow rejects {agreed} of them")
print(f"orderflow alone rejects {only_orderflow} more (data flow, schemas, rules asl-validator lacks)")

# The adoption corpus's lone ASL files (JSON and YAML), as asl-validator reads them: every one it
# rejects, orderflow rejects too; and the cases the corpus calls valid, asl-validator accepts.
adoption = root / "tests" / "adoption" / "corpus"
cases = {c["case"]: c for c in json.loads((adoption / "cases.json").read_text())}
lone = 0
for name, case in sorted(cases.items()):
    if case["form"] not in ("asl-json", "asl-yaml"):
        continue
    for path in sorted((adoption / name).iterdir()):
        flag = {".json": "--json-path", ".yaml": "--yaml-path", ".yml": "--yaml-path"}.get(path.suffix)
        if flag is None:
            continue
        lone += 1
        valid_for_validator = subprocess.run(
            [validator, flag, str(path), "--silent"], capture_output=True, text=True
        ).returncode == 0
        errors = orderflow_errors(path)
        if not valid_for_validator and not errors:
            failures.append(f"{path.relative_to(root)}: asl-validator rejects it, orderflow reports no error")
        if case["verdict"] == "valid" and not valid_for_validator:
            failures.append(f"{path.relative_to(root)}: a valid adoption case asl-validator rejects")
print(f"adoption corpus: {lone} lone ASL files compared with asl-validator")
if failures:
    print("\n".join(failures))
    sys.exit(1)
