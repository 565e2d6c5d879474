#!/usr/bin/env python3
"""Validates FHIR JSON files against the FHIR R4 (R4B) models of the fhir.resources package.

Usage: validate-fhir.py FILE...   (.ndjson: one resource a line; other files: one resource)
Prints one line per invalid resource and exits 1 if any is invalid, 0 otherwise.
"""
import importlib
import json
import sys

MODELS = {
    "Immunization": "fhir.resources.R4B.immunization",
    "Bundle": "fhir.resources.R4B.bundle",
    "OperationOutcome": "fhir.resources.R4B.operationoutcome",
}


def model(resource_type):
    module_name = MODELS.get(resource_type)
    if module_name is None:
        raise ValueError(f"unexpected resourceType {resource_type!r}")
    return getattr(importlib.import_module(module_name), resource_type)


def validate(resource):
    kind = resource.get("resourceType")
    model(kind).model_validate(resource)
    # Also check each bundled resource against its own type's model.
    if kind == "Bundle":
        for entry in resource.get("entry", []):
            if "resource" in entry:
                validate(entry["resource"])
            outcome = entry.get("response", {}).get("outcome")
            if outcome is not None:
                validate(outcome)


def main(paths):
    invalid = 0
    checked = 0
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        documents = [line for line in text.splitlines() if line.strip()] if path.endswith(".ndjson") else [text]
        for number, document in enumerate(documents, 1):
            checked += 1
            try:
                validate(json.loads(document))
            except Exception as error:  # noqa: BLE001 - any failure is a finding
                invalid += 1
                first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
                print(f"{path}:{number}: invalid: {first_line}")
    print(f"checked {checked} resources, {invalid} invalid")
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
