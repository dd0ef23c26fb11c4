// Lambda unit tests: deployment packages (zip), function names, the sandbox, execution environments speaking
// the Runtime API (Python and a shell bootstrap; errors, timeouts, memory), and the coverage doc.
#include <gtest/gtest.h>
#include <zlib.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <sstream>
#include <thread>

#include "../../store/temp_dir.hpp"
#include "../provider_harness.hpp"
#include "common/background_tasks.hpp"
#include "services/common/sandbox.hpp"
#include "services/lambda/internal.hpp"
#include "services/lambda/runtime.hpp"
#include "services/lambda/zip.hpp"
#include "store/metadata_store.hpp"

namespace cenote::lambda {
namespace {

void Put16(std::string& s, unsigned v) {
  s.push_back(static_cast<char>(v & 0xff));
  s.push_back(static_cast<char>((v >> 8) & 0xff));
}
void Put32(std::string& s, unsigned v) {
  Put16(s, v & 0xffff);
  Put16(s, v >> 16);
}

// A stored (uncompressed) zip of `files` (name, contents, unix mode), as zip tools write one.
std::string Zip(const std::vector<std::tuple<std::string, std::string, unsigned>>& files) {
  std::string out, central;
  for (const auto& [name, data, mode] : files) {
    const unsigned offset = static_cast<unsigned>(out.size());
    const unsigned crc = static_cast<unsigned>(
        crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
    Put32(out, 0x04034b50);
    Put16(out, 20);
    Put16(out, 0);
    Put16(out, 0);
    Put16(out, 0);
    Put16(out, 0);
    Put32(out, crc);
    Put32(out, static_cast<unsigned>(data.size()));
    Put32(out, static_cast<unsigned>(data.size()));
    Put16(out, static_cast<unsigned>(name.size()));
    Put16(out, 0);
    out += name + data;
    Put32(central, 0x02014b50);
    Put16(central, (3 << 8) | 20);
    Put16(central, 20);
    Put16(central, 0);
    Put16(central, 0);
    Put16(central, 0);
    Put16(central, 0);
    Put32(central, crc);
    Put32(central, static_cast<unsigned>(data.size()));
    Put32(central, static_cast<unsigned>(data.size()));
    Put16(central, static_cast<unsigned>(name.size()));
    Put16(central, 0);
    Put16(central, 0);
    Put16(central, 0);
    Put16(central, 0);
    Put32(central, (0100000 | mode) << 16);
    Put32(central, offset);
    central += name;
  }
  const unsigned cd_offset = static_cast<unsigned>(out.size());
  out += central;
  Put32(out, 0x06054b50);
  Put16(out, 0);
  Put16(out, 0);
  Put16(out, static_cast<unsigned>(files.size()));
  Put16(out, static_cast<unsigned>(files.size()));
  Put32(out, static_cast<unsigned>(central.size()));
  Put32(out, cd_offset);
  Put16(out, 0);
  return out;
}

TEST(LambdaZip, ExtractsWithModesAndRefusesEscapes) {
  store::testing::TempDir dir;
  std::string zip = Zip({{"bootstrap", "#!/bin/sh\n", 0755}, {"lib/a.py", "x = 1\n", 0644}});
  ASSERT_TRUE(CheckZip(zip).ok());
  ASSERT_TRUE(ExtractZip(zip, dir / "out").ok());
  EXPECT_TRUE(std::filesystem::status(dir / "out/bootstrap").permissions() == std::filesystem::perms(0755));
  std::ifstream in(dir / "out/lib/a.py");
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), "x = 1\n");
  auto bad = CheckZip("not a zip");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "InvalidParameterValueException");
  EXPECT_EQ(bad.error().message,
            "Could not unzip uploaded file. Please check your file, then try to upload again.");
  EXPECT_FALSE(CheckZip(Zip({{"../evil", "x", 0644}})).ok());
  EXPECT_FALSE(CheckZip(Zip({{"/abs", "x", 0644}})).ok());
  // A symlink out of the directory, then an entry written through it: refused, nothing written outside.
  std::filesystem::create_directories(dir / "outside");
  std::string slip = Zip({{"link", dir / "outside", 0120777}, {"link/pwned", "x", 0644}});
  EXPECT_FALSE(ExtractZip(slip, dir / "slip").ok());
  EXPECT_FALSE(std::filesystem::exists(dir / "outside/pwned"));
  std::string final_link = Zip({{"f", dir / "outside/target", 0120777}, {"f", "x", 0644}});
  EXPECT_FALSE(ExtractZip(final_link, dir / "slip2").ok());
  EXPECT_FALSE(std::filesystem::exists(dir / "outside/target"));
}

TEST(LambdaNames, EveryFormAwsAccepts) {
  auto p = ParseFunctionName("fn", "111122223333", "us-east-1");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->name, "fn");
  EXPECT_EQ(p->account, "111122223333");
  p = ParseFunctionName("fn:live", "111122223333", "us-east-1");
  EXPECT_EQ(p->qualifier, "live");
  p = ParseFunctionName("444455556666:function:fn:3", "111122223333", "us-east-1");
  EXPECT_EQ(p->account, "444455556666");
  EXPECT_EQ(p->qualifier, "3");
  p = ParseFunctionName("arn:aws:lambda:eu-west-1:444455556666:function:fn", "111122223333", "us-east-1");
  EXPECT_EQ(p->region, "eu-west-1");
  EXPECT_EQ(p->name, "fn");
  EXPECT_FALSE(ParseFunctionName("a/b", "1", "r").ok());
  EXPECT_FALSE(ParseFunctionName("arn:aws:s3:::bucket", "1", "r").ok());
  EXPECT_EQ(FunctionArn(FunctionKey{"1", "r", "n"}), "arn:aws:lambda:r:1:function:n");
}

TEST(Sandbox, RunsAndReportsExit) {
  services::SandboxSpec spec;
  spec.argv = {"/bin/sh", "-c", "exit 3"};
  spec.cwd = "/";
  auto p = services::Sandbox::Spawn(spec);
  ASSERT_TRUE(p.ok());
  services::SandboxExit exit = services::Sandbox::Wait(*p);
  EXPECT_TRUE(exit.exited);
  EXPECT_EQ(exit.code, 3);
}

class RuntimesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RuntimesOptions o;
    o.scratch_dir = dir_ / "scratch";
    o.hide = {dir_.path() + "/secret"};
    std::filesystem::create_directories(dir_ / "secret");
    std::ofstream(dir_ / "secret/data").put('x');
    std::filesystem::create_directories(o.scratch_dir);
    std::filesystem::permissions(dir_.path(), std::filesystem::perms(0755));
    std::filesystem::permissions(o.scratch_dir, std::filesystem::perms(0755));
    auto r = Runtimes::Start(o);
    ASSERT_TRUE(r.ok()) << r.error().message;
    runtimes_ = std::move(r).value();
  }
  EnvironmentSpec Python(const std::string& code, std::int64_t timeout_s = 3) {
    std::string key = std::to_string(++n_);
    std::string d = dir_ / ("code" + key);
    EXPECT_TRUE(ExtractZip(Zip({{"app.py", code, 0644}}), d).ok());
    EnvironmentSpec s;
    s.key = key;
    s.function_name = "fn";
    s.function_arn = "arn:aws:lambda:us-east-1:000000000000:function:fn";
    s.version = "$LATEST";
    s.runtime = "python3.12";
    s.handler = "app.handler";
    s.timeout_s = timeout_s;
    s.code_dir = d;
    s.region = "us-east-1";
    s.log_group = "/aws/lambda/fn";
    return s;
  }
  store::testing::TempDir dir_;
  std::unique_ptr<Runtimes> runtimes_;
  int n_ = 0;
};

TEST_F(RuntimesTest, PythonHandlerWarmAndCold) {
  EnvironmentSpec s = Python(
      "import os\ndef handler(e, c):\n    print('hi', e['x'])\n"
      "    return {'x': e['x'], 'id': c.aws_request_id, 'secret': os.path.exists('" +
      dir_.path() + "/secret/data')}\n");
  auto r = runtimes_->Invoke(s, "req-1", "{\"x\": 1}", "", s.function_arn);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->function_error) << r->payload;
  auto v = boost::json::parse(r->payload).as_object();
  EXPECT_EQ(v["x"].as_int64(), 1);
  EXPECT_EQ(v["id"].as_string(), "req-1");
  EXPECT_FALSE(v["secret"].as_bool());  // hidden path (or, without namespaces, still readable: see below)
  EXPECT_TRUE(r->cold);
  EXPECT_NE(r->log.find("START RequestId: req-1 Version: $LATEST"), std::string::npos) << r->log;
  EXPECT_NE(r->log.find("hi 1"), std::string::npos) << r->log;
  EXPECT_NE(r->log.find("REPORT RequestId: req-1\tDuration: "), std::string::npos) << r->log;
  r = runtimes_->Invoke(s, "req-2", "{\"x\": 2}", "", s.function_arn);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->cold);
  EXPECT_EQ(r->log.find("Init Duration"), std::string::npos);
}

TEST_F(RuntimesTest, ErrorsTimeoutsAndInitErrors) {
  EnvironmentSpec s = Python(
      "import time\ndef handler(e, c):\n    if e.get('sleep'): time.sleep(5)\n"
      "    raise KeyError('k')\n",
      1);
  auto r = runtimes_->Invoke(s, "a", "{}", "", s.function_arn);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->function_error);
  EXPECT_EQ(boost::json::parse(r->payload).at("errorType").as_string(), "KeyError");
  r = runtimes_->Invoke(s, "b", "{\"sleep\": 1}", "", s.function_arn);
  ASSERT_TRUE(r.ok());
  auto doc = boost::json::parse(r->payload).as_object();
  EXPECT_EQ(doc["errorType"].as_string(), "Sandbox.Timedout");
  EXPECT_EQ(doc["errorMessage"].as_string(), "RequestId: b Error: Task timed out after 1.00 seconds");
  EXPECT_NE(r->log.find("Task timed out after 1.00 seconds"), std::string::npos);
  EnvironmentSpec bad = Python("import nothing_here\ndef handler(e, c):\n    return 1\n");
  r = runtimes_->Invoke(bad, "c", "{}", "", bad.function_arn);
  ASSERT_TRUE(r.ok());
  doc = boost::json::parse(r->payload).as_object();
  EXPECT_EQ(doc["errorType"].as_string(), "Runtime.ImportModuleError");
  EXPECT_EQ(doc["errorMessage"].as_string(), "Unable to import module 'app': No module named 'nothing_here'");
}

TEST_F(RuntimesTest, MemoryLimitStopsTheFunction) {
  EnvironmentSpec s =
      Python("def handler(e, c):\n    b = [bytearray(1 << 20) for _ in range(400)]\n    return len(b)\n");
  s.memory_mb = 128;
  auto r = runtimes_->Invoke(s, "m", "{}", "", s.function_arn);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->function_error) << r->payload;
  const std::string type(boost::json::parse(r->payload).at("errorType").as_string());
  EXPECT_TRUE(type == "Runtime.OutOfMemory" || type == "MemoryError") << r->payload;
}

// Provisioned concurrency: environments initialized ahead of time, used warm, released when unlisted.
TEST_F(RuntimesTest, ProvisionStartsEnvironmentsAheadOfTime) {
  EnvironmentSpec s = Python(
      "import os\nINIT = os.environ['AWS_LAMBDA_INITIALIZATION_TYPE']\nprint(os.environ['GREETING'])\n"
      "def handler(e, c):\n    return {'init': INIT}\n");
  // Each environment's init log is handed over when it starts (for CloudWatch Logs), not at its first use.
  auto init_logs = std::make_shared<std::vector<InvocationResult>>();
  auto logs_mu = std::make_shared<std::mutex>();
  s.init_log = [init_logs, logs_mu](const InvocationResult& r) {
    std::lock_guard<std::mutex> lock(*logs_mu);
    init_logs->push_back(r);
  };
  s.variables["GREETING"] = "init says hello";
  std::map<std::string, Runtimes::ProvisionTarget> targets{{"fn:1", {s, 2}}};
  auto states = runtimes_->Provision(targets);
  EXPECT_EQ(states["fn:1"].ready, 0);
  for (int i = 0; i < 200 && states["fn:1"].ready < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    states = runtimes_->Provision(targets);
  }
  ASSERT_EQ(states["fn:1"].ready, 2);
  EXPECT_EQ(states["fn:1"].error, "");
  {
    std::lock_guard<std::mutex> lock(*logs_mu);
    ASSERT_EQ(init_logs->size(), 2u);
    for (const InvocationResult& log : *init_logs) {
      EXPECT_TRUE(log.cold);
      EXPECT_FALSE(log.log_stream.empty());
      ASSERT_GE(log.log_events.size(), 2u);
      EXPECT_EQ(log.log_events[0].second, "INIT_START Runtime Version: python3.12.cenote");
      bool printed = false;
      for (const auto& [ms, line] : log.log_events) printed = printed || line == "init says hello";
      EXPECT_TRUE(printed);
    }
    EXPECT_NE((*init_logs)[0].log_stream, (*init_logs)[1].log_stream);
  }
  auto r = runtimes_->Invoke(s, "p1", "{}", "", s.function_arn);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->cold);
  EXPECT_EQ(boost::json::parse(r->payload).at("init").as_string(), "provisioned-concurrency");
  EXPECT_EQ(r->log.find("Init Duration"), std::string::npos) << r->log;
  // Reaping for idleness leaves them; unlisted, they are on-demand environments again.
  runtimes_->Reap(std::numeric_limits<std::int64_t>::max() / 2);
  EXPECT_EQ(runtimes_->Provision(targets)["fn:1"].ready, 2);
  EXPECT_TRUE(runtimes_->Provision({}).empty());

  EnvironmentSpec bad = Python("raise RuntimeError('init fails')\n");
  auto bad_logs = std::make_shared<std::vector<InvocationResult>>();
  bad.init_log = [bad_logs, logs_mu](const InvocationResult& r) {
    std::lock_guard<std::mutex> lock(*logs_mu);
    bad_logs->push_back(r);
  };
  std::map<std::string, Runtimes::ProvisionTarget> failing{{"bad:1", {bad, 1}}};
  states = runtimes_->Provision(failing);
  for (int i = 0; i < 200 && states["bad:1"].error.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    states = runtimes_->Provision(failing);
  }
  EXPECT_NE(states["bad:1"].error.find("init fails"), std::string::npos) << states["bad:1"].error;
  EXPECT_EQ(states["bad:1"].ready, 0);
  std::lock_guard<std::mutex> lock(*logs_mu);
  ASSERT_FALSE(bad_logs->empty());
  const auto& events = bad_logs->front().log_events;
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.front().second, "INIT_START Runtime Version: python3.12.cenote");
  EXPECT_TRUE(events.back().second.starts_with("INIT_REPORT Init Duration: ")) << events.back().second;
  EXPECT_NE(events.back().second.find("Status: error\tError Type: RuntimeError"), std::string::npos)
      << events.back().second;
}

// Response streaming (Cenote's Node runtime, awslambda.streamifyResponse): the runtime's chunked response
// goes to the sink as it is written, before the handler ends; an error thrown after a write comes in the
// trailers.
TEST_F(RuntimesTest, NodeStreamingHandlerWritesThroughTheSink) {
  if (std::system("command -v node > /dev/null 2>&1") != 0) GTEST_SKIP() << "no node on this host";
  EnvironmentSpec s = Python("");
  std::string d = dir_ / "node-stream";
  ASSERT_TRUE(ExtractZip(Zip({{"app.mjs",
                               "export const handler = awslambda.streamifyResponse(async (e, stream) => {\n"
                               "  stream.setContentType('text/plain');\n"
                               "  stream.write('one\\n');\n"
                               "  await new Promise((r) => setTimeout(r, 800));\n"
                               "  if (e.fail) throw new TypeError('late failure');\n"
                               "  stream.write('two\\n');\n"
                               "  stream.end();\n"
                               "});\n",
                               0644}}),
                         d)
                  .ok());
  s.code_dir = d;
  s.runtime = "nodejs20.x";
  s.timeout_s = 10;
  s.memory_mb = 256;
  using Clock = std::chrono::steady_clock;
  struct Seen {
    std::mutex mu;
    std::string type, bytes;
    Clock::time_point first{};
  };
  auto seen = std::make_shared<Seen>();
  ResponseSink sink;
  sink.begin = [seen](const std::string& type) {
    std::lock_guard<std::mutex> lock(seen->mu);
    seen->type = type;
  };
  sink.write = [seen](std::string_view bytes) {
    std::lock_guard<std::mutex> lock(seen->mu);
    if (seen->bytes.empty()) seen->first = Clock::now();
    seen->bytes.append(bytes);
  };
  auto r = runtimes_->Invoke(s, "s1", "{}", "", s.function_arn, &sink);
  const Clock::time_point ended = Clock::now();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->function_error) << r->payload;
  EXPECT_TRUE(r->streamed);
  EXPECT_EQ(r->content_type, "text/plain");
  {
    std::lock_guard<std::mutex> lock(seen->mu);
    EXPECT_EQ(seen->type, "text/plain");
    EXPECT_EQ(seen->bytes, "one\ntwo\n");
    EXPECT_GE(std::chrono::duration_cast<std::chrono::milliseconds>(ended - seen->first).count(), 500);
    seen->bytes.clear();
  }
  // Without a sink the streamed bytes are the payload; an error after a write is the function's error.
  r = runtimes_->Invoke(s, "s2", "{}", "", s.function_arn);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->payload, "one\ntwo\n");
  r = runtimes_->Invoke(s, "s3", "{\"fail\": true}", "", s.function_arn, &sink);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->function_error);
  auto doc = boost::json::parse(r->payload).as_object();
  EXPECT_EQ(doc["errorType"].as_string(), "TypeError");
  EXPECT_EQ(doc["errorMessage"].as_string(), "late failure");
  std::lock_guard<std::mutex> lock(seen->mu);
  EXPECT_EQ(seen->bytes, "one\n");
}

// ---- function URLs (urls.cpp): AWS's payload format 2.0 event, the result mapping, CORS

TEST(LambdaFunctionUrl, EventIsPayloadFormat2) {
  http::HttpRequest r;
  r.method = "POST";
  r.target = "/a/b%20c?name=Jane&x=1&x=2&e=a%2Bb";
  r.headers.Add("Host", "abcd.lambda-url.eu-west-1.on.aws");
  r.headers.Add("User-Agent", "curl/8");
  r.headers.Add("X-Multi", "one");
  r.headers.Add("x-multi", "two");
  r.headers.Add("Cookie", "a=1; b=2");
  r.headers.Add("Content-Type", "application/json");
  r.remote_address = "10.0.0.7:5555";
  aws::RequestContext ctx;
  ctx.request_id = "req-1";
  ctx.source_ip = r.remote_address;
  aws::RawRequest raw{
      .http = r, .ctx = ctx, .captures = {"abcd", "eu-west-1"}, .authenticate = {}, .authorize = {}};
  json::object e = FunctionUrlEvent(raw, "111122223333", 1631055022677, R"({"k":1})", false);
  EXPECT_EQ(e.at("version"), "2.0");
  EXPECT_EQ(e.at("routeKey"), "$default");
  EXPECT_EQ(e.at("rawPath"), "/a/b%20c");
  EXPECT_EQ(e.at("rawQueryString"), "name=Jane&x=1&x=2&e=a%2Bb");
  EXPECT_EQ(e.at("cookies"), (json::array{"a=1", "b=2"}));
  const json::object& h = e.at("headers").as_object();
  EXPECT_EQ(h.at("x-multi"), "one,two");
  EXPECT_EQ(h.at("user-agent"), "curl/8");
  EXPECT_FALSE(h.contains("cookie"));
  EXPECT_EQ(h.at("x-forwarded-for"), "10.0.0.7");
  EXPECT_EQ(e.at("queryStringParameters"), (json::object{{"name", "Jane"}, {"x", "1,2"}, {"e", "a+b"}}));
  const json::object& c = e.at("requestContext").as_object();
  EXPECT_EQ(c.at("accountId"), "111122223333");
  EXPECT_EQ(c.at("apiId"), "abcd");
  EXPECT_EQ(c.at("domainName"), "abcd.lambda-url.eu-west-1.on.aws");
  EXPECT_EQ(c.at("domainPrefix"), "abcd");
  EXPECT_EQ(c.at("requestId"), "req-1");
  EXPECT_EQ(c.at("time"), "07/Sep/2021:22:50:22 +0000");
  EXPECT_EQ(c.at("timeEpoch"), 1631055022677);
  EXPECT_FALSE(c.contains("authorizer"));
  EXPECT_EQ(c.at("http"), (json::object{{"method", "POST"},
                                        {"path", "/a/b%20c"},
                                        {"protocol", "HTTP/1.1"},
                                        {"sourceIp", "10.0.0.7"},
                                        {"userAgent", "curl/8"}}));
  EXPECT_EQ(e.at("body"), R"({"k":1})");
  EXPECT_EQ(e.at("isBase64Encoded"), false);

  // Binary bodies (and forms: not a textual type) are base64; no body, no query: neither member.
  r.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  e = FunctionUrlEvent(raw, "111122223333", 0, "a=1", false);
  EXPECT_EQ(e.at("body"), "YT0x");
  EXPECT_EQ(e.at("isBase64Encoded"), true);
  r.target = "/";
  e = FunctionUrlEvent(raw, "111122223333", 0, "", false);
  EXPECT_FALSE(e.contains("body"));
  EXPECT_FALSE(e.contains("queryStringParameters"));
  EXPECT_EQ(e.at("rawQueryString"), "");
  EXPECT_EQ(e.at("isBase64Encoded"), false);

  // AWS_IAM: the caller's identity.
  ctx.principal.access_key_id = "AKIDEXAMPLE";
  ctx.principal.account_id = "444455556666";
  ctx.principal.arn = "arn:aws:iam::444455556666:user/alice";
  ctx.principal.user_id = "AIDAALICE";
  e = FunctionUrlEvent(raw, "111122223333", 0, "", true);
  const json::object& iam = e.at("requestContext").at("authorizer").at("iam").as_object();
  EXPECT_EQ(iam.at("accessKey"), "AKIDEXAMPLE");
  EXPECT_EQ(iam.at("accountId"), "444455556666");
  EXPECT_EQ(iam.at("userArn"), "arn:aws:iam::444455556666:user/alice");
  EXPECT_EQ(iam.at("userId"), "AIDAALICE");
}

TEST(LambdaFunctionUrl, ResultsMapAsAwsDocumentsThem) {
  // A string or an object without statusCode: 200, application/json, the result as returned.
  http::HttpResponse r = FunctionUrlResponse(R"("Hello, world!")");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.Get("content-type"), "application/json");
  EXPECT_EQ(r.body, R"("Hello, world!")");
  r = FunctionUrlResponse(R"({"message":"Hello, world!"})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"message":"Hello, world!"})");
  // A response object.
  r = FunctionUrlResponse(
      R"({"statusCode":201,"headers":{"Content-Type":"text/plain","My-Custom-Header":"Custom Value","n":5},)"
      R"("body":"made","cookies":["Cookie_1=Value1; Max-Age=5","Cookie_2=Value2"],"isBase64Encoded":false})");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.headers.Get("content-type"), "text/plain");
  EXPECT_EQ(r.headers.Get("my-custom-header"), "Custom Value");
  EXPECT_EQ(r.headers.Get("n"), "5");
  EXPECT_EQ(r.headers.GetAll("set-cookie").size(), 2u);
  EXPECT_EQ(r.body, "made");
  // Base64 bodies are decoded; the default content type is JSON.
  r = FunctionUrlResponse(R"({"statusCode":200,"body":"AAEC","isBase64Encoded":true})");
  EXPECT_EQ(r.body, std::string("\0\1\2", 3));
  EXPECT_EQ(r.headers.Get("content-type"), "application/json");
  r = FunctionUrlResponse(R"({"statusCode":404})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "");
  // What cannot be a response: a 502.
  EXPECT_EQ(FunctionUrlResponse("not json").status, 502);
  EXPECT_EQ(FunctionUrlResponse(R"({"statusCode":"abc"})").status, 502);
  EXPECT_EQ(FunctionUrlResponse(R"({"statusCode":200,"body":"!!","isBase64Encoded":true})").status, 502);
}

std::string ReadBody(http::HttpResponse& r) {
  std::string out;
  if (!r.stream) return r.body;
  char buf[7];  // small reads: the body is pulled piecewise, as the server does
  while (true) {
    auto n = r.stream->Read(buf, sizeof(buf));
    if (!n || *n == 0) break;
    out.append(buf, *n);
  }
  return out;
}

TEST(LambdaFunctionUrl, StreamedResponsesMapAsAwsDocumentsThem) {
  // awslambda.HttpResponseStream.from: the prelude's status, headers and cookies, then the body, chunked.
  auto stream = std::make_shared<InvocationStream>();
  stream->Begin("application/vnd.awslambda.http-integration-response");
  stream->Write(
      R"({"statusCode":201,"headers":{"content-type":"text/csv","x-n":1},"cookies":["a=b","c=d"]})");
  stream->Write(std::string(8, '\0') + "x,y\n");
  std::thread later([stream] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stream->Write("1,2\n");
    stream->Finish(InvokeOutcome{});
  });
  http::HttpResponse r = FunctionUrlStreamedResponse(stream);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.headers.Get("content-type").value_or(""), "text/csv");
  EXPECT_EQ(r.headers.Get("x-n").value_or(""), "1");
  EXPECT_EQ(r.headers.GetAll("set-cookie").size(), 2u);
  ASSERT_TRUE(r.stream);
  EXPECT_FALSE(r.stream->Size().has_value());  // chunked
  EXPECT_EQ(ReadBody(r), "x,y\n1,2\n");
  later.join();

  // The prelude split over writes, the delimiter too.
  stream = std::make_shared<InvocationStream>();
  stream->Begin("application/vnd.awslambda.http-integration-response");
  stream->Write(R"({"statusCode":4)");
  stream->Write(std::string("04}\0\0\0", 6));
  stream->Write(std::string(5, '\0') + "gone");
  stream->Finish(InvokeOutcome{});
  r = FunctionUrlStreamedResponse(stream);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.headers.Get("content-type").value_or(""), "application/octet-stream");
  EXPECT_EQ(ReadBody(r), "gone");

  // A plain stream: 200 and its Content-Type.
  stream = std::make_shared<InvocationStream>();
  stream->Begin("text/plain");
  stream->Write("hello");
  stream->Finish(InvokeOutcome{});
  r = FunctionUrlStreamedResponse(stream);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.Get("content-type").value_or(""), "text/plain");
  EXPECT_EQ(ReadBody(r), "hello");

  // A bad prelude, an error before any byte, and a handler that did not stream.
  stream = std::make_shared<InvocationStream>();
  stream->Begin("application/vnd.awslambda.http-integration-response");
  stream->Write(std::string("not json") + std::string(8, '\0'));
  stream->Finish(InvokeOutcome{});
  EXPECT_EQ(FunctionUrlStreamedResponse(stream).status, 502);
  stream = std::make_shared<InvocationStream>();
  InvokeOutcome failed;
  failed.function_error = "Unhandled";
  failed.payload = R"({"errorType":"Error"})";
  stream->Begin("text/plain");
  stream->Finish(failed);
  EXPECT_EQ(FunctionUrlStreamedResponse(stream).status, 502);
  stream = std::make_shared<InvocationStream>();
  InvokeOutcome buffered;
  buffered.payload = R"({"statusCode":202,"body":"queued"})";
  stream->Finish(buffered);
  r = FunctionUrlStreamedResponse(stream);
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.body, "queued");
}

TEST(LambdaFunctionUrl, CorsFromTheUrlConfig) {
  json::object config{{"Cors", json::object{{"AllowOrigins", json::array{"https://app.example.com"}},
                                            {"AllowMethods", json::array{"GET", "POST"}},
                                            {"AllowHeaders", json::array{"content-type", "x-token"}},
                                            {"ExposeHeaders", json::array{"x-trace"}},
                                            {"MaxAge", 600},
                                            {"AllowCredentials", true}}}};
  auto h = FunctionUrlCors(config, "https://app.example.com", true, "POST", "Content-Type, X-Token");
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->Get("access-control-allow-origin"), "https://app.example.com");
  EXPECT_EQ(h->Get("access-control-allow-methods"), "GET,POST");
  EXPECT_EQ(h->Get("access-control-allow-headers"), "content-type,x-token");
  EXPECT_EQ(h->Get("access-control-max-age"), "600");
  EXPECT_EQ(h->Get("access-control-allow-credentials"), "true");
  EXPECT_FALSE(FunctionUrlCors(config, "https://evil.example.com", true, "POST", "").has_value());
  EXPECT_FALSE(FunctionUrlCors(config, "https://app.example.com", true, "DELETE", "").has_value());
  EXPECT_FALSE(FunctionUrlCors(config, "https://app.example.com", true, "GET", "x-other").has_value());
  h = FunctionUrlCors(config, "https://app.example.com", false, "GET", "");
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->Get("access-control-expose-headers"), "x-trace");
  EXPECT_FALSE(h->Has("access-control-allow-methods"));
  // "*" allows any origin; without a Cors config nothing is allowed.
  json::object any{{"Cors", json::object{{"AllowOrigins", json::array{"*"}}}}};
  h = FunctionUrlCors(any, "https://x.example", false, "GET", "");
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->Get("access-control-allow-origin"), "*");
  EXPECT_FALSE(FunctionUrlCors(json::object{}, "https://x.example", false, "GET", "").has_value());
}

// ---- the provider through a real request pipeline (ProviderHarness) over a SQLite MetadataStore: layer
// version permissions, and the checks of provisioned concurrency and InvokeWithResponseStream that need no
// function to run.

class LambdaProviderTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open() {
    harness_.reset();
    metadata_.reset();
    auto md = store::MetadataStore::OpenSqlite(dir_.path() + "/metadata.db");
    ASSERT_TRUE(md.ok());
    metadata_ = std::move(md).value();
    LambdaOptions o;
    o.clock = [] { return std::int64_t{1'700'000'000'000}; };
    o.data_dir = dir_.path() + "/lambda";
    o.scratch_dir = dir_.path() + "/scratch";
    o.background = false;
    harness_ = std::make_unique<testing::ProviderHarness>();
    auto p = LambdaProvider::Open(*metadata_, &harness_->invoker(), tasks_, o);
    ASSERT_TRUE(p.ok()) << p.error().message;
    harness_->Register(std::move(p).value());
  }
  Result<aws::OperationOutput> Call(std::string_view op, json::object params) {
    return harness_->Call("lambda", op, std::move(params));
  }
  std::string ErrorCode(std::string_view op, json::object params) {
    auto r = Call(op, std::move(params));
    return r.ok() ? "" : r.error().code;
  }

  store::testing::TempDir dir_;
  BackgroundTasks tasks_;
  std::unique_ptr<store::MetadataStore> metadata_;
  std::unique_ptr<testing::ProviderHarness> harness_;
};

TEST_F(LambdaProviderTest, LayerVersionPermissions) {
  auto published = Call("PublishLayerVersion",
                        {{"LayerName", "shared"}, {"Content", {{"ZipFile", Zip({{"a.txt", "x", 0644}})}}}});
  ASSERT_TRUE(published.ok()) << published.error().message;
  json::object grant{{"LayerName", "shared"},
                     {"VersionNumber", 1},
                     {"StatementId", "acct"},
                     {"Action", "lambda:GetLayerVersion"},
                     {"Principal", "111122223333"}};
  EXPECT_EQ(ErrorCode("GetLayerVersionPolicy", {{"LayerName", "shared"}, {"VersionNumber", 1}}),
            "ResourceNotFoundException");
  auto added = Call("AddLayerVersionPermission", grant);
  ASSERT_TRUE(added.ok()) << added.error().message;
  const json::object& a = added->result.as_object();
  json::object st = json::parse(a.at("Statement").as_string()).as_object();
  EXPECT_EQ(st.at("Principal").at("AWS").as_string(), "arn:aws:iam::111122223333:root");
  EXPECT_EQ(st.at("Resource").as_string(), "arn:aws:lambda:us-east-1:000000000000:layer:shared:1");
  EXPECT_EQ(st.at("Action").as_string(), "lambda:GetLayerVersion");
  const std::string rev(a.at("RevisionId").as_string());

  EXPECT_EQ(ErrorCode("AddLayerVersionPermission", grant), "ResourceConflictException");
  json::object bad = grant;
  bad["StatementId"] = "other";
  bad["Action"] = "lambda:InvokeFunction";
  EXPECT_EQ(ErrorCode("AddLayerVersionPermission", bad), "ValidationException");
  bad["Action"] = "lambda:GetLayerVersion";
  bad["Principal"] = "someone";
  EXPECT_EQ(ErrorCode("AddLayerVersionPermission", bad), "ValidationException");
  bad["Principal"] = "*";
  bad["OrganizationId"] = "not-an-org";
  EXPECT_EQ(ErrorCode("AddLayerVersionPermission", bad), "ValidationException");
  bad["OrganizationId"] = "o-abcdefghij";
  bad["RevisionId"] = "stale";
  EXPECT_EQ(ErrorCode("AddLayerVersionPermission", bad), "PreconditionFailedException");
  bad["RevisionId"] = rev;
  auto org = Call("AddLayerVersionPermission", bad);
  ASSERT_TRUE(org.ok()) << org.error().message;
  EXPECT_NE(org->result.as_object().at("RevisionId").as_string(), rev);
  json::object org_st = json::parse(org->result.as_object().at("Statement").as_string()).as_object();
  EXPECT_EQ(org_st.at("Principal").as_string(), "*");
  EXPECT_EQ(org_st.at("Condition").at("StringEquals").at("aws:PrincipalOrgID").as_string(), "o-abcdefghij");
  grant["VersionNumber"] = 2;
  EXPECT_EQ(ErrorCode("AddLayerVersionPermission", grant), "ResourceNotFoundException");

  Open();  // the policy survives a restart
  auto policy = Call("GetLayerVersionPolicy", {{"LayerName", "shared"}, {"VersionNumber", 1}});
  ASSERT_TRUE(policy.ok()) << policy.error().message;
  json::object doc = json::parse(policy->result.as_object().at("Policy").as_string()).as_object();
  EXPECT_EQ(doc.at("Statement").as_array().size(), 2u);
  EXPECT_EQ(ErrorCode("RemoveLayerVersionPermission",
                      {{"LayerName", "shared"}, {"VersionNumber", 1}, {"StatementId", "nope"}}),
            "ResourceNotFoundException");
  EXPECT_EQ(
      ErrorCode(
          "RemoveLayerVersionPermission",
          {{"LayerName", "shared"}, {"VersionNumber", 1}, {"StatementId", "acct"}, {"RevisionId", rev}}),
      "PreconditionFailedException");
  ASSERT_TRUE(Call("RemoveLayerVersionPermission",
                   {{"LayerName", "shared"}, {"VersionNumber", 1}, {"StatementId", "acct"}})
                  .ok());
  ASSERT_TRUE(Call("RemoveLayerVersionPermission",
                   {{"LayerName", "shared"}, {"VersionNumber", 1}, {"StatementId", "other"}})
                  .ok());
  EXPECT_EQ(ErrorCode("GetLayerVersionPolicy", {{"LayerName", "shared"}, {"VersionNumber", 1}}),
            "ResourceNotFoundException");
}

TEST_F(LambdaProviderTest, ProvisionedConcurrencyAndStreamingNeedAFunction) {
  EXPECT_EQ(ErrorCode("PutProvisionedConcurrencyConfig",
                      {{"FunctionName", "nope"}, {"Qualifier", "1"}, {"ProvisionedConcurrentExecutions", 1}}),
            "ResourceNotFoundException");
  EXPECT_EQ(
      ErrorCode("PutProvisionedConcurrencyConfig",
                {{"FunctionName", "nope"}, {"Qualifier", "$LATEST"}, {"ProvisionedConcurrentExecutions", 1}}),
      "InvalidParameterValueException");
  EXPECT_EQ(ErrorCode("GetProvisionedConcurrencyConfig", {{"FunctionName", "nope"}, {"Qualifier", "1"}}),
            "ResourceNotFoundException");
  EXPECT_EQ(ErrorCode("InvokeWithResponseStream", {{"FunctionName", "nope"}}), "ResourceNotFoundException");
  EXPECT_EQ(ErrorCode("InvokeWithResponseStream", {{"FunctionName", "nope"}, {"InvocationType", "Event"}}),
            "ValidationException");
}

TEST(LambdaCoverage, DocMatchesProvider) {
  std::ifstream in(std::string(CENOTE_SOURCE_DIR) + "/docs/lambda-coverage.md");
  ASSERT_TRUE(in.good()) << "run: python3 src/services/lambda/gen_coverage.py";
  std::stringstream ss;
  ss << in.rdbuf();
  for (auto op : LambdaProvider::SupportedOperations()) {
    EXPECT_NE(ss.str().find("| " + std::string(op) + " | supported |"), std::string::npos) << op;
  }
  // Not an API operation, but the IAM action of a request to a function URL (the model overlay names it).
  EXPECT_NE(ss.str().find("| InvokeFunctionUrl | supported |"), std::string::npos);
  for (const auto& e : {errors::kFunctionNotFound, errors::kThrottled, errors::kInvalidParameter}) {
    EXPECT_NE(ss.str().find(e.code), std::string::npos) << e.code;
  }
}

}  // namespace
}  // namespace cenote::lambda
