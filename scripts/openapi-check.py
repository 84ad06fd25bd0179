#!/usr/bin/env python3
"""Checks the checked-in OpenAPI document: valid OpenAPI 3.1, and every example in it valid against
its schema (media-type `example`/`examples`, parameter examples, and JSON Schema `examples`).

Usage: scripts/openapi-check.py [Sources/Gateway/Resources/openapi.yaml]
Exits 1 and names each failure (its JSON pointer and the schema error) when something is wrong.
Needs: openapi-spec-validator, jsonschema, pyyaml (scripts/test.sh installs them in a venv).
"""
import sys

import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BASE = "urn:leadgate:openapi"


def pointer(parts):
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def resolve(doc, value):
    """Follows a `$ref` to a components.examples entry."""
    while isinstance(value, dict) and "$ref" in value:
        node = doc
        for part in value["$ref"].lstrip("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        value = node
    return value


def examples_of(doc, holder):
    """The example values of a media type or parameter object: `example`, or each `examples` entry."""
    if "example" in holder:
        yield "example", holder["example"]
    for name, entry in (holder.get("examples") or {}).items():
        entry = resolve(doc, entry)
        if isinstance(entry, dict) and "value" in entry:
            yield f"examples/{name}", entry["value"]


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "Sources/Gateway/Resources/openapi.yaml"
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    validate(doc)  # raises on an invalid document
    if not str(doc.get("openapi", "")).startswith("3.1"):
        sys.exit(f"{path}: `openapi` is {doc.get('openapi')!r}, not 3.1.x")
    registry = Registry().with_resource(BASE, Resource.from_contents(doc, default_specification=DRAFT202012))
    failures = []
    checked = 0

    def check(schema_parts, value, where):
        nonlocal checked
        checked += 1
        validator = Draft202012Validator({"$ref": BASE + "#" + pointer(schema_parts)}, registry=registry)
        for error in validator.iter_errors(value):
            at = "/".join(str(p) for p in error.absolute_path) or "(root)"
            failures.append(f"{where}: at {at}: {error.message}")

    def walk(node, parts):
        if isinstance(node, dict):
            # A media type or a parameter with a schema: its examples must match it.
            if "schema" in node and isinstance(node["schema"], dict) and ("example" in node or "examples" in node):
                for name, value in examples_of(doc, node):
                    check(parts + ["schema"], value, pointer(parts + [name]))
            # A schema with JSON Schema `examples`: each must match the schema itself.
            if isinstance(node.get("examples"), list) and ("type" in node or "properties" in node or "$ref" in node):
                for i, value in enumerate(node["examples"]):
                    check(parts, value, pointer(parts + ["examples", i]))
            for key, value in node.items():
                walk(value, parts + [key])
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, parts + [i])

    walk(doc, [])
    for failure in failures:
        print("example does not match its schema:", failure, file=sys.stderr)
    if failures:
        sys.exit(1)
    print(f"{path}: valid OpenAPI {doc['openapi']}; {checked} examples match their schemas")


if __name__ == "__main__":
    main()
