#!/usr/bin/env python3
"""Checks the platform seams that keep adding a service to one directory plus one line
(docs/adding-a-service.md), and prints what it found:

  1. Nothing outside src/services/<service>/ names a service: no include of services/<service>/..., no
     <service>:: qualifier, except the one list of services (src/platform/service_list.cpp).
     (DESIGN.md: dependencies point inward; Envoy's rule: the core never names an extension.)
  2. Every service directory is discovered: its CMakeLists.txt appends its library to
     CENOTE_SERVICE_LIBRARIES, it has a register.cpp, and service_list.cpp lists it.
  3. The build and the test lists name no service directory (they are discovered).

Exits 1 on any finding. Run from anywhere: python3 scripts/check_seams.py
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVICES_DIR = os.path.join(ROOT, "src", "services")
LIST = os.path.join("src", "platform", "service_list.cpp")
# Services whose library or namespace name is taken by a shared layer: IAM's provider is cenote_iam_service,
# because cenote_iam and the namespace iam:: are the policy library of src/iam that every layer uses. For these
# the qualifier check is left out (includes of the service's headers are still checked).
LIBRARY = {"iam": "cenote_iam_service"}
SHARED_NAMESPACE = {"iam"}


def services():
    return sorted(d for d in os.listdir(SERVICES_DIR)
                  if d != "common" and os.path.isfile(os.path.join(SERVICES_DIR, d, "CMakeLists.txt")))


def source_files(top):
    for base, _, files in os.walk(os.path.join(ROOT, top)):
        for f in files:
            if f.endswith((".cpp", ".hpp", ".h", ".cc")):
                yield os.path.join(base, f)


def main():
    findings = []
    names = services()
    # Not ARNs ("arn:aws:sts::<account>:..."): a qualifier follows "::", a space or punctuation, never "<word>:".
    ns = re.compile(r"(?<![\w-]:)\b(" + "|".join(re.escape(n) for n in names if n not in SHARED_NAMESPACE) + r")::")
    inc = re.compile(r'#include "services/(' + "|".join(map(re.escape, names)) + r')/')
    for path in source_files("src"):
        rel = os.path.relpath(path, ROOT)
        owner = rel.split(os.sep)[2] if rel.startswith(os.path.join("src", "services") + os.sep) else None
        if owner in names or rel == LIST:
            continue
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                code = line.split("//", 1)[0]
                for m in list(ns.finditer(code)) + list(inc.finditer(code)):
                    findings.append(f"{rel}:{n}: names the service {m.group(1)}: {line.strip()}")
    with open(os.path.join(ROOT, LIST), encoding="utf-8") as f:
        listed = f.read()
    for name in names:
        d = os.path.join(SERVICES_DIR, name)
        with open(os.path.join(d, "CMakeLists.txt"), encoding="utf-8") as f:
            cmake = f.read()
        library = LIBRARY.get(name, f"cenote_{name}")
        if f"APPEND PROPERTY CENOTE_SERVICE_LIBRARIES {library}" not in cmake:
            findings.append(f"src/services/{name}/CMakeLists.txt: does not append {library} to "
                            "CENOTE_SERVICE_LIBRARIES")
        if not os.path.isfile(os.path.join(d, "register.cpp")):
            findings.append(f"src/services/{name}: no register.cpp")
        if f"{name}::Register" not in listed:
            findings.append(f"{LIST}: does not list {name}::Register")
    for lists in ("CMakeLists.txt", "src/platform/CMakeLists.txt", "tests/CMakeLists.txt",
                  "tests/e2e/CMakeLists.txt"):
        with open(os.path.join(ROOT, lists), encoding="utf-8") as f:
            text = f.read()
        for name in names:
            library = LIBRARY.get(name, f"cenote_{name}")
            if re.search(r"services/" + re.escape(name) + r"\b|\b" + re.escape(library) + r"\b", text):
                findings.append(f"{lists}: names the service {name} (it must be discovered)")
    for line in findings:
        print(line)
    print(f"{len(names)} services ({', '.join(names)}); {len(findings)} finding(s)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
