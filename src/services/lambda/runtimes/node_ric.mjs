// Cenote's runtime interface client for the nodejs*.x runtimes: the Lambda Runtime API loop
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html) around the function's handler (CommonJS
// or ES module; async or callback style), with the context object and AWS's error documents. Embedded into
// the cenote binary and run as /var/runtime/node_ric.mjs in each execution environment.
import http from "node:http";
import path from "node:path";
import fs from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const api = process.env.AWS_LAMBDA_RUNTIME_API;
const slash = api.indexOf("/");
const hostPort = slash < 0 ? api : api.slice(0, slash);
const prefix = slash < 0 ? "" : api.slice(slash);
const [host, port] = hostPort.split(":");
const base = `${prefix}/2018-06-01/runtime`;
const agent = new http.Agent({ keepAlive: true });

function request(method, p, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port: Number(port), path: base + p, method, headers, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function errorDoc(err) {
  if (err instanceof Error) {
    return {
      errorType: err.name || "Error",
      errorMessage: err.message,
      trace: (err.stack || "").split("\n"),
    };
  }
  return { errorType: typeof err === "string" ? "string" : "object", errorMessage: String(err), trace: [] };
}

async function initError(doc) {
  console.error(`${new Date().toISOString()}\tundefined\tERROR\t${JSON.stringify(doc)}`);
  await request("POST", "/init/error", JSON.stringify(doc), { "Lambda-Runtime-Function-Error-Type": doc.errorType });
  process.exit(1);
}

async function loadHandler() {
  const spec = process.env._HANDLER || "";
  const dot = spec.lastIndexOf(".");
  if (dot < 0) {
    await initError({ errorType: "Runtime.MalformedHandlerName", errorMessage: `Bad handler ${spec}`, trace: [] });
  }
  const modulePath = spec.slice(0, dot);
  const fn = spec.slice(dot + 1);
  const task = process.env.LAMBDA_TASK_ROOT || "/var/task";
  let mod;
  const candidates = [".js", ".mjs", ".cjs"].map((ext) => path.join(task, modulePath + ext));
  const file = candidates.find((f) => fs.existsSync(f));
  if (!file) {
    await initError({
      errorType: "Runtime.ImportModuleError",
      errorMessage: `Error: Cannot find module '${modulePath}'\nRequire stack:\n- /var/runtime/index.mjs`,
      trace: [],
    });
  }
  try {
    if (file.endsWith(".mjs")) {
      mod = await import(pathToFileURL(file).href);
    } else {
      try {
        mod = createRequire(path.join(task, "index.js"))(file);
      } catch (e) {
        if (e.code === "ERR_REQUIRE_ESM") mod = await import(pathToFileURL(file).href);
        else throw e;
      }
    }
  } catch (e) {
    const doc = errorDoc(e);
    if (e instanceof SyntaxError) doc.errorType = "Runtime.UserCodeSyntaxError";
    await initError(doc);
  }
  const handler = mod[fn] ?? mod.default?.[fn];
  if (typeof handler !== "function") {
    await initError({
      errorType: "Runtime.HandlerNotFound",
      errorMessage: `${modulePath}.${fn} is undefined or not exported`,
      trace: [],
    });
  }
  return handler;
}

function runHandler(handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (err, result) => {
      if (settled) return;
      settled = true;
      if (err !== undefined && err !== null) reject(err);
      else resolve(result);
    };
    try {
      const out = handler(event, context, callback);
      if (out && typeof out.then === "function") out.then((r) => callback(null, r), (e) => callback(e ?? new Error("undefined")));
      else if (handler.length < 3) callback(null, out);
    } catch (e) {
      callback(e);
    }
  });
}

// Response streaming, as Lambda's Node.js runtimes offer it: awslambda.streamifyResponse(handler) marks a
// handler (event, responseStream, context) whose writes go to the Runtime API as they happen (a chunked POST
// with Lambda-Runtime-Function-Response-Mode: streaming; a failure in its trailers), and
// awslambda.HttpResponseStream.from(stream, {statusCode, headers, cookies}) puts a function URL's status and
// headers before the body (a JSON prelude and 8 NUL bytes).
const STREAMING = Symbol.for("aws.lambda.runtime.handler.streaming");
const HTTP_INTEGRATION = "application/vnd.awslambda.http-integration-response";
globalThis.awslambda = {
  streamifyResponse(fn) {
    fn[STREAMING] = "response";
    return fn;
  },
  HttpResponseStream: class HttpResponseStream {
    static from(stream, prelude) {
      stream.setContentType(HTTP_INTEGRATION);
      stream._prelude = JSON.stringify(prelude ?? {});
      return stream;
    }
  },
};

function responseStream(requestId) {
  const req = http.request({
    host,
    port: Number(port),
    path: `${base}/invocation/${requestId}/response`,
    method: "POST",
    agent: new http.Agent({ keepAlive: false }),
    headers: {
      "Lambda-Runtime-Function-Response-Mode": "streaming",
      Trailer: "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body",
      "Content-Type": "application/octet-stream",
    },
  });
  const done = new Promise((resolve, reject) => {
    req.on("response", (res) => {
      res.resume();
      res.on("end", resolve);
    });
    req.on("error", reject);
  });
  let started = false;
  const origWrite = req.write.bind(req);
  const origEnd = req.end.bind(req);
  const start = () => {
    if (started) return;
    started = true;
    if (req._prelude !== undefined) {
      origWrite(req._prelude);
      origWrite(Buffer.alloc(8));
    }
  };
  req.setContentType = (type) => {
    if (started) throw new Error("Cannot set content-type, too late.");
    req.setHeader("Content-Type", type);
  };
  req.write = (chunk, ...rest) => {
    start();
    if (typeof chunk !== "string" && !(chunk instanceof Uint8Array)) chunk = JSON.stringify(chunk);
    return origWrite(chunk, ...rest);
  };
  req.end = (...args) => {
    start();
    return origEnd(...args);
  };
  req.fail = (doc) => {
    start();
    req.addTrailers({
      "Lambda-Runtime-Function-Error-Type": doc.errorType,
      "Lambda-Runtime-Function-Error-Body": Buffer.from(JSON.stringify(doc)).toString("base64"),
    });
    origEnd();
  };
  return { stream: req, done };
}

const handler = await loadHandler();
for (;;) {
  const next = await request("GET", "/invocation/next");
  if (next.status !== 200) process.exit(0);
  const requestId = next.headers["lambda-runtime-aws-request-id"];
  const deadline = Number(next.headers["lambda-runtime-deadline-ms"] || 0);
  const cc = next.headers["lambda-runtime-client-context"];
  const context = {
    awsRequestId: requestId,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    invokedFunctionArn: next.headers["lambda-runtime-invoked-function-arn"],
    clientContext: cc ? JSON.parse(cc) : undefined,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  if (handler[STREAMING] === "response") {
    const { stream, done } = responseStream(requestId);
    try {
      const event = next.body.length ? JSON.parse(next.body.toString("utf8")) : {};
      await handler(event, stream, context);
      if (!stream.writableEnded) stream.end();
    } catch (e) {
      const doc = errorDoc(e);
      console.error(`${new Date().toISOString()}\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify(doc)}`);
      if (!stream.writableEnded) stream.fail(doc);
    }
    await done.catch(() => {});
    continue;
  }
  try {
    const event = next.body.length ? JSON.parse(next.body.toString("utf8")) : {};
    const result = await runHandler(handler, event, context);
    await request("POST", `/invocation/${requestId}/response`, JSON.stringify(result === undefined ? null : result));
  } catch (e) {
    const doc = errorDoc(e);
    console.error(`${new Date().toISOString()}\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify(doc)}`);
    await request("POST", `/invocation/${requestId}/error`, JSON.stringify(doc), {
      "Lambda-Runtime-Function-Error-Type": doc.errorType,
    });
  }
}
