#!/usr/bin/env python3
"""Generates s3-2006-03-01.json, the overlay merged (RFC 7386) into the pinned aws-sdk@2.1693.0 S3 model.

It adds what current S3 clients send and expect but the pinned min.json lacks:
  1. every Checksum* member (ChecksumCRC64NVME, ChecksumType, ...) that botocore's current S3 model has on a
     structure reachable from an operation and the pinned model lacks, found by walking both models in
     parallel from each operation's input and output;
  2. the XML root element names of S3 responses, which min.json strips (botocore's model lacks them too;
     they are the element names of the S3 API reference's response syntax).
Run: python3 gen_s3_overlay.py /work/main/.deps/aws-models/s3-2006-03-01.min.json > s3-2006-03-01.json
"""
import gzip, json, os, sys
import botocore

ROOTS = {
    "ListObjects": "ListBucketResult", "ListObjectsV2": "ListBucketResult",
    "ListBuckets": "ListAllMyBucketsResult", "ListDirectoryBuckets": "ListAllMyDirectoryBucketsResult",
    "ListObjectVersions": "ListVersionsResult", "CreateMultipartUpload": "InitiateMultipartUploadResult",
    "CompleteMultipartUpload": "CompleteMultipartUploadResult",
    "ListMultipartUploads": "ListMultipartUploadsResult", "ListParts": "ListPartsResult",
    "DeleteObjects": "DeleteResult", "GetBucketTagging": "Tagging", "GetObjectTagging": "Tagging",
    "GetBucketVersioning": "VersioningConfiguration", "GetBucketLocation": "LocationConstraint",
    "GetBucketAcl": "AccessControlPolicy", "GetObjectAcl": "AccessControlPolicy",
    "GetBucketCors": "CORSConfiguration", "GetBucketLifecycle": "LifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "LifecycleConfiguration",
    "GetBucketNotification": "NotificationConfiguration",
    "GetBucketNotificationConfiguration": "NotificationConfiguration",
    "GetBucketLogging": "BucketLoggingStatus", "GetBucketWebsite": "WebsiteConfiguration",
    "GetBucketRequestPayment": "RequestPaymentConfiguration",
    "GetBucketAccelerateConfiguration": "AccelerateConfiguration",
    "GetObjectAttributes": "GetObjectAttributesResponse",
    "ListBucketAnalyticsConfigurations": "ListBucketAnalyticsConfigurationResult",
    "ListBucketInventoryConfigurations": "ListInventoryConfigurationsResult",
    "ListBucketMetricsConfigurations": "ListMetricsConfigurationsResult",
    "ListBucketIntelligentTieringConfigurations": "ListBucketIntelligentTieringConfigurationsOutput",
}


def load_botocore():
    path = os.path.join(os.path.dirname(botocore.__file__), "data", "s3", "2006-03-01", "service-2.json.gz")
    with gzip.open(path) as f:
        return json.load(f)


def to_min(ref, full):
    """A botocore member reference as a min.json inline member (scalars only are needed here)."""
    shape = full["shapes"][ref["shape"]]
    out = {k: v for k, v in ref.items() if k in ("location", "locationName", "xmlNamespace", "flattened")}
    out["type"] = shape["type"]  # explicit even for strings: the overlay drops empty objects
    if shape["type"] not in ("string", "integer", "long", "boolean", "timestamp", "blob"):
        return None
    return out


def walk(min_model, full, min_node, full_shape_name, patch, seen):
    """min_node: the min.json definition (inline dict or {"shape": name}); patch: the dict mirroring it."""
    if "shape" in min_node:
        name = min_node["shape"]
        key = (name, full_shape_name)
        if key in seen:
            return
        seen.add(key)
        patch = patch_root.setdefault("shapes", {}).setdefault(name, {})
        min_node = min_model["shapes"][name]
    full_shape = full["shapes"][full_shape_name]
    t = full_shape["type"]
    if t == "structure":
        mins = min_node.get("members", {})
        for mname, mref in full_shape.get("members", {}).items():
            if mname in mins:
                sub = patch.setdefault("members", {}).setdefault(mname, {})
                walk(min_model, full, mins[mname], mref["shape"], sub, seen)
            elif mname in ("ChecksumCRC64NVME", "ChecksumType"):
                m = to_min(mref, full)
                if m is not None:
                    patch.setdefault("members", {})[mname] = m
    elif t == "list" and "member" in min_node:
        walk(min_model, full, min_node["member"], full_shape["member"]["shape"], patch.setdefault("member", {}), seen)
    elif t == "map" and "value" in min_node:
        walk(min_model, full, min_node["value"], full_shape["value"]["shape"], patch.setdefault("value", {}), seen)


def prune(d):
    if not isinstance(d, dict):
        return d
    out = {}
    for k, v in d.items():
        v = prune(v)
        if v != {}:
            out[k] = v
    return out


if __name__ == "__main__":
    min_model = json.load(open(sys.argv[1]))
    full = load_botocore()
    patch_root = {}
    for op, d in min_model["operations"].items():
        fop = full["operations"].get(op)
        if not fop:
            continue
        for io in ("input", "output"):
            if io in d and io in fop:
                p = patch_root.setdefault("operations", {}).setdefault(op, {}).setdefault(io, {})
                walk(min_model, full, d[io], fop[io]["shape"], p, set())
    for op, root in ROOTS.items():
        if op in min_model["operations"] and "output" in min_model["operations"][op]:
            patch_root.setdefault("operations", {}).setdefault(op, {}).setdefault("output", {})["locationName"] = root
    result = {"//": "Generated by gen_s3_overlay.py from botocore %s; see that script." % botocore.__version__}
    result.update(prune(patch_root))
    json.dump(result, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
