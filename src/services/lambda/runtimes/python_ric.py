# Cenote's runtime interface client for the python3.x runtimes: the Lambda Runtime API loop
# (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html) around the function's handler, with the
# context object and the error documents AWS's Python runtime produces. Embedded into the cenote binary and
# run as /var/runtime/python_ric.py in each execution environment.
import http.client
import importlib
import json
import os
import sys
import time
import traceback

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
HOST, _, PREFIX = API.partition("/")
PREFIX = "/" + PREFIX if PREFIX else ""
BASE = PREFIX + "/2018-06-01/runtime"


def request(method, path, body=None, headers=None):
    conn = http.client.HTTPConnection(HOST, timeout=None)
    conn.request(method, BASE + path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    result = (resp.status, dict(resp.getheaders()), data)
    conn.close()
    return result


def error_doc(exc, tb=True):
    doc = {"errorMessage": str(exc), "errorType": type(exc).__name__}
    doc["stackTrace"] = traceback.format_list(traceback.extract_tb(exc.__traceback__)) if tb else []
    return doc


def log_error(doc, request_id=None):
    prefix = "[ERROR] %s: %s" % (doc["errorType"], doc["errorMessage"])
    if request_id:
        line = "[ERROR]\t%s\t%s\t%s" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z", request_id,
                                         json.dumps(doc))
        print(line, flush=True)
    else:
        print(prefix, flush=True)


def init_error(doc):
    log_error(doc)
    request("POST", "/init/error", json.dumps(doc).encode(), {"Lambda-Runtime-Function-Error-Type": doc["errorType"]})
    sys.exit(1)


class Context:
    def __init__(self, request_id, deadline_ms, arn, client_context):
        self.aws_request_id = request_id
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.invoked_function_arn = arn
        self.identity = None
        self.client_context = json.loads(client_context) if client_context else None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))


def load_handler():
    spec = os.environ.get("_HANDLER", "")
    module_path, _, func = spec.rpartition(".")
    if not module_path or not func:
        init_error({"errorMessage": "Bad handler '%s': not enough values to unpack (expected 2, got 1)" % spec,
                    "errorType": "Runtime.MalformedHandlerName", "stackTrace": []})
    task = os.environ.get("LAMBDA_TASK_ROOT", "/var/task")
    if task not in sys.path:
        sys.path.insert(0, task)
    try:
        module = importlib.import_module(module_path.replace("/", "."))
    except ImportError as e:
        init_error({"errorMessage": "Unable to import module '%s': %s" % (module_path, e),
                    "errorType": "Runtime.ImportModuleError", "stackTrace": []})
    except SyntaxError as e:
        init_error({"errorMessage": "Syntax error in module '%s': %s" % (module_path, e),
                    "errorType": "Runtime.UserCodeSyntaxError", "stackTrace": []})
    except Exception as e:  # noqa: BLE001 - any exception at import time is an init error
        doc = error_doc(e)
        init_error(doc)
    handler = getattr(module, func, None)
    if handler is None:
        init_error({"errorMessage": "Handler '%s' missing on module '%s'" % (func, module_path),
                    "errorType": "Runtime.HandlerNotFound", "stackTrace": []})
    return handler


def main():
    handler = load_handler()
    while True:
        status, headers, body = request("GET", "/invocation/next")
        if status != 200:
            sys.exit(0)
        h = {k.lower(): v for k, v in headers.items()}
        request_id = h.get("lambda-runtime-aws-request-id")
        context = Context(request_id, int(h.get("lambda-runtime-deadline-ms", "0")),
                          h.get("lambda-runtime-invoked-function-arn"), h.get("lambda-runtime-client-context"))
        try:
            event = json.loads(body) if body else {}
            result = handler(event, context)
            out = json.dumps(result).encode()
        except Exception as e:  # noqa: BLE001 - the function's failure is its error document
            doc = error_doc(e)
            log_error(doc, request_id)
            sys.stdout.flush()
            request("POST", "/invocation/%s/error" % request_id, json.dumps(doc).encode(),
                    {"Lambda-Runtime-Function-Error-Type": doc["errorType"]})
            continue
        sys.stdout.flush()
        request("POST", "/invocation/%s/response" % request_id, out)


if __name__ == "__main__":
    main()
