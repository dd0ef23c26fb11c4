#!/usr/bin/env python3
"""Generates <uid>.constraints.json: the input constraints that the pinned aws-sdk@2.1693.0 min.json strips.

min.json drops every validation trait of the service models: string and blob lengths, list and map sizes,
numeric ranges (`min`, `max`), `pattern`, `enum` and `sensitive`. AWS checks them before the service logic
runs ("1 validation error detected: Value '' at 'catalogId' failed to satisfy constraint: ..."), and so does
Cenote's parse stage (src/aws/protocol/validate.hpp). botocore's service-2.json models keep them; this
script copies them onto the min.json nodes they belong to, as an RFC 7386 merge patch of the min.json.

How: both models are walked in parallel from every operation's input (after the model's hand-written
overlay <uid>.json, so that operations it adds get their constraints too), member by member.
  - A min.json node that references a shared shape ({"shape": "Sxx"}) is patched under "shapes"."Sxx",
    never on the reference (the loader reads traits of a shape from the shape).
  - An inlined node is patched in place ("operations"."Op"."input"."members"."Name"...).
  - min.json may share one "Sxx" where botocore has several shapes (or botocore may have changed since the
    pinned model): when two visits of one "Sxx" disagree, the loosest constraint wins (smallest min,
    largest max, a pattern only if all agree, the union of enums), so that a value valid for either
    botocore shape is never rejected. The merges are reported on stderr.
  - A node whose type differs between the models is left alone.
Output shapes (responses) are not walked: AWS validates input only.

Run (from this directory; writes one file per model, S3 excluded: rest-xml input is not validated this way):
    python3 gen_constraints_overlay.py /work/main/.deps/aws-models .
"""
import copy
import gzip
import json
import os
import sys

import botocore

# min.json file names whose botocore directory differs.
BOTOCORE_DIRS = {"eventbridge": "events", "monitoring": "cloudwatch", "states": "stepfunctions"}
SKIP = {"s3"}
CONSTRAINT_KEYS = ("min", "max", "pattern", "enum", "sensitive")
# Constraints botocore's models state and the services do not enforce that way, removed from the patch (an RFC
# 7386 merge patch of it): SQS answers an unknown queue attribute name (CreateQueue / SetQueueAttributes
# Attributes keys, "Sk"; GetQueueAttributes AttributeNames, "Sz") with its own InvalidAttributeName ("Unknown
# Attribute X."), and ReceiveMessage's deprecated AttributeNames (also "Sz") takes message system attribute
# names (ApproximateReceiveCount, SentTimestamp, ...) that the queue attribute enum lacks.
NOT_ENFORCED = {
    "sqs-2012-11-05": {"shapes": {"Sz": {"member": {"enum": None}}, "Sk": {"key": {"enum": None}}}},
    # Glue's SchemaDefinition pattern ".*\\S.*" would refuse every definition with a line break under a
    # whole-value match ('.' stops at line terminators); Glue takes multi-line .proto files and pretty-printed
    # Avro/JSON schemas, as its serializers send them.
    "glue-2017-03-31": {"operations": {op: {"input": {"members": {"SchemaDefinition": {"pattern": None}}}} for op in (
        "CheckSchemaVersionValidity", "CreateSchema", "GetSchemaByDefinition", "RegisterSchemaVersion")}},
}
TYPE_ALIASES = {"byte": "integer", "short": "integer", "character": "string", "bigdecimal": "double",
                "biginteger": "long"}


def min_type(node):
    t = node.get("type")
    if t is None:
        t = "structure" if "members" in node else "string"
    return TYPE_ALIASES.get(t, t)


def constraints_of(shape):
    """The validation traits of a botocore shape that the validator uses, in a fixed key order."""
    out = {}
    t = TYPE_ALIASES.get(shape["type"], shape["type"])
    for key in CONSTRAINT_KEYS:
        if key not in shape:
            continue
        v = shape[key]
        if key in ("min", "max") and t not in ("string", "blob", "list", "map", "integer", "long", "float",
                                               "double"):
            continue
        if key == "min" and t in ("string", "blob", "list", "map") and v <= 0:
            continue  # a length or size is never negative: nothing to check
        if key in ("pattern", "enum") and t != "string":
            continue
        if key == "sensitive" and not v:
            continue
        out[key] = v
    return out


def loosest(a, b, where, log):
    """Merges two patches of one min.json node so that a value valid for either is valid for the result.

    A constraint or nested node present on one side only is dropped (the other side does not constrain);
    `sensitive` is kept when either side has it (it only hides the value in error messages)."""
    out = {}
    for key in list(a) + [k for k in b if k not in a]:
        if key not in a or key not in b:
            if key == "sensitive":
                out[key] = True
            else:
                log.append("%s: %s on one side only, dropped" % (where, key))
            continue
        va, vb = a[key], b[key]
        if key == "min":
            out[key] = min(va, vb)
        elif key == "max":
            out[key] = max(va, vb)
        elif key == "pattern":
            if va == vb:
                out[key] = va
            else:
                log.append("%s: patterns differ, dropped" % where)
        elif key == "enum":
            out[key] = va + [v for v in vb if v not in va]
        elif key == "sensitive":
            out[key] = True
        elif key == "members":
            members = {}
            for name in va:
                if name in vb:
                    m = loosest(va[name], vb[name], where + "." + name, log)
                    if m:
                        members[name] = m
            if members:
                out[key] = members
        else:  # member / key / value
            sub = loosest(va, vb, where + "." + key, log)
            if sub:
                out[key] = sub
    return out


class Generator:
    def __init__(self, min_model, full):
        self.min = min_model
        self.full = full
        self.visits = {}  # "Sxx" -> {botocore shape name: patch}
        self.active = set()

    def walk(self, node, full_name):
        """Returns the patch for `node` (a min.json member/shape definition) against botocore's `full_name`."""
        if "shape" in node:
            name = node["shape"]
            key = (name, full_name)
            per_shape = self.visits.setdefault(name, {})
            if full_name not in per_shape and key not in self.active:
                self.active.add(key)
                per_shape[full_name] = self.walk(self.min["shapes"][name], full_name)
                self.active.discard(key)
            return {}
        full = self.full["shapes"][full_name]
        if min_type(node) != TYPE_ALIASES.get(full["type"], full["type"]):
            return {}
        patch = constraints_of(full)
        t = min_type(node)
        if t == "structure":
            members = {}
            for mname, mnode in node.get("members", {}).items():
                fref = full.get("members", {}).get(mname)
                if fref is None:
                    continue
                sub = self.walk(mnode, fref["shape"])
                if sub:
                    members[mname] = sub
            if members:
                patch["members"] = members
        elif t == "list" and "member" in node:
            sub = self.walk(node["member"], full["member"]["shape"])
            if sub:
                patch["member"] = sub
        elif t == "map":
            for part in ("key", "value"):
                if part in node:
                    sub = self.walk(node[part], full[part]["shape"])
                    if sub:
                        patch[part] = sub
        return patch

    def run(self):
        operations = {}
        for op, d in self.min["operations"].items():
            fop = self.full["operations"].get(op)
            if not fop or "input" not in d or "input" not in fop:
                continue
            p = self.walk(d["input"], fop["input"]["shape"])
            if p:
                operations[op] = {"input": p}
        shapes = {}
        log = []
        for name in sorted(self.visits, key=lambda n: (len(n), n)):
            patches = list(self.visits[name].items())
            merged = patches[0][1]
            for full_name, p in patches[1:]:
                if p != merged:
                    merged = loosest(merged, p, "%s (%s)" % (name, full_name), log)
            if merged:
                shapes[name] = merged
        return operations, shapes, log


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return patch
    if not isinstance(target, dict):
        target = {}
    for k, v in patch.items():
        if k == "//":
            continue
        if v is None:
            target.pop(k, None)
        else:
            target[k] = merge_patch(target.get(k), v)
    return target


def dumps(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def write(path, doc, operations, shapes):
    # One operation or shape per line: compact to load, still readable in a diff.
    with open(path, "w", encoding="utf-8") as f:
        f.write("{%s:%s,\n" % (dumps("//"), dumps(doc["//"])))
        for section, items in (("operations", operations), ("shapes", shapes)):
            f.write("%s:{" % dumps(section))
            f.write(",".join("\n%s:%s" % (dumps(k), dumps(v)) for k, v in items.items()))
            f.write("}" + (",\n" if section == "operations" else "}\n"))


def main():
    models_dir, out_dir = sys.argv[1], sys.argv[2]
    data = os.path.join(os.path.dirname(botocore.__file__), "data")
    for fname in sorted(os.listdir(models_dir)):
        if not fname.endswith(".min.json"):
            continue
        uid = fname[: -len(".min.json")]
        service, version = uid.split("-", 1)
        if service in SKIP:
            continue
        with open(os.path.join(models_dir, fname)) as f:
            min_model = json.load(f)
        base_overlay = os.path.join(out_dir, uid + ".json")
        if os.path.exists(base_overlay):
            with open(base_overlay) as f:
                min_model = merge_patch(min_model, json.load(f))
        path = os.path.join(data, BOTOCORE_DIRS.get(service, service), version, "service-2.json.gz")
        with gzip.open(path) as f:
            full = json.load(f)
        operations, shapes, log = Generator(min_model, full).run()
        if uid in NOT_ENFORCED:
            patched = merge_patch({"operations": operations, "shapes": shapes}, NOT_ENFORCED[uid])
            operations, shapes = patched["operations"], patched["shapes"]
            shapes = {k: v for k, v in shapes.items() if v and v not in ({"member": {}}, {"key": {}})}
        for line in log:
            print("%s: %s" % (uid, line), file=sys.stderr)
        doc = {"//": "Generated by gen_constraints_overlay.py from botocore %s: the input constraints "
                     "(min, max, pattern, enum, sensitive) that min.json strips. Do not edit; see README.md."
                     % botocore.__version__}
        write(os.path.join(out_dir, uid + ".constraints.json"), doc, operations, shapes)


if __name__ == "__main__":
    main()
