"""What the service benchmarks share: a server started as Cenote or as a peer (moto's server mode) through the
e2e harness, and one run that measures Cenote and then the peer with the same function."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import harness  # noqa: E402


def start(kind, binary, data_dir):
    """A started harness.Server: `kind` "cenote" (the binary at `binary`, data in `data_dir`) or "moto"."""
    os.environ["CENOTE_E2E_TARGET"] = kind
    if binary:
        os.environ["CENOTE_BIN"] = binary
    return harness.Server(data_dir=data_dir).start()


def run_cenote_and_moto(measure, args, peers, work, results, peer_failures_fatal=True, start_server=start):
    """results["cenote"] = measure("cenote", server, args), then results["moto"] the same when "moto" is among
    `peers` and starts. A peer that cannot start is skipped with a line saying why; one that fails while
    measured is too unless `peer_failures_fatal`."""
    srv = start_server("cenote", args.cenote, os.path.join(work, "cenote"))
    try:
        results["cenote"] = measure("cenote", srv, args)
    finally:
        srv.close()
    if "moto" not in peers:
        return
    try:
        srv = start_server("moto", None, None)
    except RuntimeError as e:
        print(f"  moto    skipped: {e}")
        return
    try:
        results["moto"] = measure("moto", srv, args)
    except Exception as e:  # noqa: BLE001  a peer's failure is reported, not fatal
        if peer_failures_fatal:
            raise
        print(f"  moto    skipped: {e!r}")
    finally:
        srv.close()
