#!/usr/bin/env python3
"""Resolves the state machines of the CloudFormation templates `serverless package` wrote, as
CloudFormation would, and checks what the deployed state machine calls.

For each AWS::StepFunctions::StateMachine: its DefinitionString (a string, or the `Fn::Sub`
serverless-step-functions writes: `[text, {variable: value}]`) has every `${variable}` of the
`Fn::Sub` map replaced; then no `${` may be left (a placeholder nothing fills in: the Serverless
Framework reads `${…}` as its own variables), and every Task's function reference (the
`FunctionName` of arn:aws:states:::lambda:invoke, else a Resource that is not a service
integration) must be a variable whose value is `Fn::GetAtt: [X, Arn]` of an AWS::Lambda::Function
X of the same template.

Usage: sls_resolve.py LABEL=cloudformation-template-update-stack.json ...
"""
import json
import re
import sys

MARK = "orderflow-substitution:"


def references(scope, out):
    for name, state in (scope.get("States") or {}).items():
        if state.get("Type") == "Task":
            resource = state.get("Resource")
            if isinstance(resource, str) and resource.startswith("arn:aws:states:::lambda:invoke"):
                args = state.get("Parameters") or state.get("Arguments") or {}
                out.append((name, args.get("FunctionName")))
            elif not (isinstance(resource, str) and resource.startswith("arn:aws:states:::")):
                out.append((name, resource))
        for branch in state.get("Branches") or []:
            references(branch, out)
        for key in ("Iterator", "ItemProcessor"):
            if isinstance(state.get(key), dict):
                references(state[key], out)


def check(label, path):
    with open(path) as f:
        template = json.load(f)
    resources = template.get("Resources", {})
    problems = []
    machines = [r for r in resources.values() if r.get("Type") == "AWS::StepFunctions::StateMachine"]
    if not machines:
        problems.append("no AWS::StepFunctions::StateMachine")
    for machine in machines:
        definition = machine["Properties"]["DefinitionString"]
        variables = {}
        if isinstance(definition, dict):
            sub = definition.get("Fn::Sub")
            if isinstance(sub, list):
                definition, variables = sub[0], sub[1]
            else:
                definition = sub
        if not isinstance(definition, str):
            problems.append(f"DefinitionString is not a string or Fn::Sub: {definition!r}")
            continue
        text = definition
        for name in variables:
            text = text.replace("${" + name + "}", MARK + name)
        left = re.findall(r"\$\{[^}]*\}", text)
        if left:
            problems.append(f"left unresolved: {sorted(set(left))}")
            continue
        found = []
        references(json.loads(text), found)
        if not found:
            problems.append("no Task invokes a function")
        for state, reference in found:
            if not (isinstance(reference, str) and reference.startswith(MARK)):
                problems.append(f"state {state!r} calls {reference!r}, not a function of the template")
                continue
            value = variables[reference[len(MARK):]]
            att = value.get("Fn::GetAtt") if isinstance(value, dict) else None
            if not (isinstance(att, list) and len(att) == 2 and att[1] == "Arn"
                    and resources.get(att[0], {}).get("Type") == "AWS::Lambda::Function"):
                problems.append(f"state {state!r} calls {value!r}, not the ARN of a function of the template")
            else:
                print(f"  {label}: {state} -> {att[0]}")
    for p in problems:
        print(f"error: {label}: {p}", file=sys.stderr)
    return not problems


def main():
    ok = True
    for arg in sys.argv[1:]:
        label, _, path = arg.partition("=")
        ok = check(label, path) and ok
    if not ok:
        sys.exit(1)
    print(f"sls package output: every Task reaches a function of its template ({len(sys.argv) - 1} templates)")


if __name__ == "__main__":
    main()
