"""Deployment packages for the Lambda e2e modules: zip files of named sources (with file modes, as Lambda keeps
them) and a layer holding AWS's Node.js runtime interface client built by scripts/bootstrap.sh."""
import io
import os
import zipfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
RIC_DIR = os.environ.get("CENOTE_RIC_DIR") or os.path.join(ROOT, ".deps", "aws-lambda-ric")


def zip_of(files, modes=None):
    """A zip of {name: text or bytes}; `modes` gives a file's Unix mode (0o644 by default)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = ((modes or {}).get(name, 0o644) | 0o100000) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return buf.getvalue()


def ric_layer_zip():
    """A layer with aws-lambda-ric under /opt/aws-lambda-ric, executables kept executable."""
    files, modes = {}, {}
    for base, _, names in os.walk(RIC_DIR):
        for n in names:
            path = os.path.join(base, n)
            rel = os.path.join("aws-lambda-ric", os.path.relpath(path, RIC_DIR))
            with open(path, "rb") as f:
                files[rel] = f.read()
            modes[rel] = 0o755 if os.access(path, os.X_OK) else 0o644
    return zip_of(files, modes)
