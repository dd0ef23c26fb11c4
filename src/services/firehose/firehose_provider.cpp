#include "services/firehose/firehose_provider.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>

#include "services/common/operation_table.hpp"
#include "services/firehose/internal.hpp"

namespace cenote::firehose {

namespace {

// Schema of component "firehose": one statement per schema version; append, never edit.
const std::vector<std::string>& Migrations() {
  static const std::vector<std::string> kMigrations = {
      "CREATE TABLE firehose_streams (name TEXT PRIMARY KEY, doc TEXT NOT NULL)",
      // One past the last log sequence whose record is in a committed S3 object.
      "CREATE TABLE firehose_positions (uid TEXT PRIMARY KEY, next_sequence INTEGER NOT NULL)",
      // KinesisStreamAsSource: the last Kinesis sequence copied from each source shard, and the log's next
      // sequence at that time (records above it are scanned at restart to catch up with the log).
      "CREATE TABLE firehose_kinesis_positions (uid TEXT NOT NULL, shard_id TEXT NOT NULL, after_sequence "
      "TEXT "
      "NOT NULL, log_next INTEGER NOT NULL, PRIMARY KEY (uid, shard_id))",
  };
  return kMigrations;
}

const services::OperationTable<OpFn>& Operations() {
  static const services::OperationTable<OpFn> kOps = {
      {"CreateDeliveryStream", CreateDeliveryStream},
      {"DeleteDeliveryStream", DeleteDeliveryStream},
      {"DescribeDeliveryStream", DescribeDeliveryStream},
      {"ListDeliveryStreams", ListDeliveryStreams},
      {"ListTagsForDeliveryStream", ListTagsForDeliveryStream},
      {"PutRecord", PutRecord},
      {"PutRecordBatch", PutRecordBatch},
      {"TagDeliveryStream", TagDeliveryStream},
      {"UntagDeliveryStream", UntagDeliveryStream},
      {"UpdateDestination", UpdateDestination},
  };
  return kOps;
}

std::int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// ---- errors ----

const std::vector<ErrorSpec>& ErrorTable() {
  using namespace errors;
  static const std::vector<ErrorSpec> kTable = {kStreamNotFound,  kStreamExists,        kStreamNotActive,
                                                kVersionMismatch, kDestinationNotFound, kValidation,
                                                kInvalidArgument, kKinesisSourcePut,    kLimitExceeded,
                                                kInternalFailure, kUnknownOperation};
  return kTable;
}

Error MakeFirehoseError(const ErrorSpec& spec, std::initializer_list<std::string_view> args) {
  std::string message;
  std::string_view tmpl = spec.message;
  auto arg = args.begin();
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] == '{' && i + 1 < tmpl.size() && tmpl[i + 1] == '}') {
      if (arg != args.end()) message += *arg++;
      ++i;
    } else {
      message += tmpl[i];
    }
  }
  return MakeError(spec.code, std::move(message), spec.http_status);
}

// ---- parameters ----

std::optional<std::string> Str(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return std::nullopt;
  return std::string(it->value().as_string());
}

std::optional<std::int64_t> Int(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  if (it->value().is_int64()) return it->value().as_int64();
  if (it->value().is_uint64()) return static_cast<std::int64_t>(it->value().as_uint64());
  if (it->value().is_double()) return static_cast<std::int64_t>(it->value().as_double());
  return std::nullopt;
}

std::optional<bool> Bool(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_bool()) return std::nullopt;
  return it->value().as_bool();
}

const json::object* Obj(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_object()) return nullptr;
  return &it->value().as_object();
}

// ---- the stream document ----

json::object ToDocument(const DeliveryStreamState& s) {
  json::object tags;
  for (const auto& [k, v] : s.tags) tags[k] = v;
  return json::object{{"name", s.name},
                      {"uid", s.uid},
                      {"arn", s.arn},
                      {"type", s.type},
                      {"status", s.status},
                      {"status_ms", s.status_ms},
                      {"created", s.created_ms},
                      {"updated", s.updated_ms},
                      {"version", s.version},
                      {"destination", s.destination},
                      {"legacy_s3", s.legacy_s3},
                      {"source", s.source},
                      {"tags", std::move(tags)}};
}

std::shared_ptr<DeliveryStreamState> FromDocument(const json::object& doc) {
  auto s = std::make_shared<DeliveryStreamState>();
  s->name = Str(doc, "name").value_or("");
  s->uid = Str(doc, "uid").value_or("");
  s->arn = Str(doc, "arn").value_or("");
  s->type = Str(doc, "type").value_or("DirectPut");
  s->status = Str(doc, "status").value_or("ACTIVE");
  s->status_ms = Int(doc, "status_ms").value_or(0);
  s->created_ms = Int(doc, "created").value_or(0);
  s->updated_ms = Int(doc, "updated").value_or(0);
  s->version = Int(doc, "version").value_or(1);
  if (const auto* d = Obj(doc, "destination")) s->destination = *d;
  s->legacy_s3 = Bool(doc, "legacy_s3").value_or(false);
  if (const auto* src = Obj(doc, "source")) s->source = *src;
  if (const auto* t = Obj(doc, "tags"))
    for (const auto& [k, v] : *t)
      if (v.is_string()) s->tags[std::string(k)] = std::string(v.as_string());
  return s;
}

// ---- Env ----

std::string FirehoseProvider::Env::EffectiveStatus(const DeliveryStreamState& s) const {
  bool elapsed = Now() - s.status_ms >= options.transition_ms;
  if (s.status == "DELETING") return elapsed ? "" : "DELETING";
  if (s.status == "CREATING" && elapsed) return "ACTIVE";
  return s.status;
}

Result<std::shared_ptr<DeliveryStreamState>> FirehoseProvider::Env::FindStream(const json::object& params) {
  std::string name = Str(params, "DeliveryStreamName").value_or("");
  std::shared_ptr<DeliveryStreamState> s;
  {
    std::lock_guard<std::mutex> g(mu);
    auto it = streams.find(name);
    if (it != streams.end()) s = it->second;
  }
  if (!s || EffectiveStatus(*s).empty())
    return MakeFirehoseError(errors::kStreamNotFound, {name, options.account_id});
  return s;
}

Status FirehoseProvider::Env::Save(const DeliveryStreamState& s) {
  auto tx = metadata.Begin(store::MetadataStore::Mode::kWrite);
  if (!tx) return tx.error();
  auto r = (*tx)->Exec(
      "INSERT INTO firehose_streams (name, doc) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET doc = "
      "excluded.doc",
      {s.name, json::serialize(ToDocument(s))});
  if (!r) return r.error();
  return (*tx)->Commit();
}

Status FirehoseProvider::Env::Erase(const DeliveryStreamState& s) {
  auto tx = metadata.Begin(store::MetadataStore::Mode::kWrite);
  if (!tx) return tx.error();
  if (auto r = (*tx)->Exec("DELETE FROM firehose_streams WHERE name = ?", {s.name}); !r) return r.error();
  if (auto r = (*tx)->Exec("DELETE FROM firehose_positions WHERE uid = ?", {s.uid}); !r) return r.error();
  if (auto r = (*tx)->Exec("DELETE FROM firehose_kinesis_positions WHERE uid = ?", {s.uid}); !r)
    return r.error();
  return (*tx)->Commit();
}

Result<std::uint64_t> FirehoseProvider::Env::DeliveredPosition(const DeliveryStreamState& s) {
  auto tx = metadata.Begin(store::MetadataStore::Mode::kRead);
  if (!tx) return tx.error();
  auto row = (*tx)->QueryOne("SELECT next_sequence FROM firehose_positions WHERE uid = ?", {s.uid});
  if (!row) return row.error();
  if (!*row) return std::uint64_t{0};
  return static_cast<std::uint64_t>(store::AsInt((**row)[0]));
}

Status FirehoseProvider::Env::CommitPosition(const DeliveryStreamState& s, std::uint64_t next_sequence) {
  auto tx = metadata.Begin(store::MetadataStore::Mode::kWrite);
  if (!tx) return tx.error();
  auto r = (*tx)->Exec(
      "INSERT INTO firehose_positions (uid, next_sequence) VALUES (?, ?) ON CONFLICT (uid) DO UPDATE SET "
      "next_sequence = excluded.next_sequence",
      {s.uid, static_cast<std::int64_t>(next_sequence)});
  if (!r) return r.error();
  return (*tx)->Commit();
}

// ---- provider ----

FirehoseProvider::FirehoseProvider(std::unique_ptr<Env> env) : env_(std::move(env)) {}

FirehoseProvider::~FirehoseProvider() {
  {
    std::lock_guard<std::mutex> g(env_->stop_mu);
    env_->stopping = true;
  }
  env_->stop_cv.notify_all();
  if (env_->delivery_thread.joinable()) env_->delivery_thread.join();
}

aws::Caller FirehoseProvider::Env::KinesisCaller() const {
  // Firehose's service principal of the account reads the source (until source roles are evaluated).
  aws::Caller caller;
  caller.principal.account_id = options.account_id;
  caller.principal.arn = "arn:aws:iam::" + options.account_id + ":root";
  caller.principal.is_root = true;
  caller.region = options.region;
  caller.invoked_by = "firehose.amazonaws.com";
  return caller;
}

Result<std::unique_ptr<FirehoseProvider>> FirehoseProvider::Open(store::MetadataStore& metadata,
                                                                 store::StreamLog& log, s3::LakeAccess& lake,
                                                                 aws::Invoker* invoker,
                                                                 FirehoseOptions options) {
  if (!options.clock) options.clock = SystemNowMs;
  if (auto st = metadata.Migrate("firehose", Migrations()); !st.ok()) return st.error();
  auto env = std::unique_ptr<Env>(
      new Env{metadata, log, lake, invoker, std::move(options), {}, {}, {}, {}, false, {}});
  {
    auto tx = metadata.Begin(store::MetadataStore::Mode::kRead);
    if (!tx) return tx.error();
    auto rows = (*tx)->Query("SELECT doc FROM firehose_streams");
    if (!rows) return rows.error();
    for (const auto& row : *rows) {
      boost::system::error_code ec;
      auto v = json::parse(store::AsText(row[0]), ec);
      if (ec || !v.is_object()) return InternalError("corrupt firehose stream document");
      auto s = FromDocument(v.as_object());
      env->streams[s->name] = std::move(s);
    }
  }
  auto provider = std::unique_ptr<FirehoseProvider>(new FirehoseProvider(std::move(env)));
  if (provider->env_->options.delivery_poll_ms > 0) {
    Env* e = provider->env_.get();
    FirehoseProvider* p = provider.get();
    e->delivery_thread = std::thread([e, p] {
      std::unique_lock<std::mutex> lk(e->stop_mu);
      while (!e->stopping) {
        e->stop_cv.wait_for(lk, std::chrono::milliseconds(e->options.delivery_poll_ms));
        if (e->stopping) break;
        lk.unlock();
        auto r = p->DeliverDue(false);
        if (!r) spdlog::warn("firehose delivery: {}", r.error().message);
        lk.lock();
      }
    });
  }
  return provider;
}

const std::vector<std::string_view>& FirehoseProvider::SupportedOperations() { return Operations().names(); }

bool FirehoseProvider::Implements(std::string_view operation) const {
  return Operations().Find(operation) != nullptr;
}

Result<aws::OperationOutput> FirehoseProvider::Invoke(const aws::RequestContext& ctx,
                                                      std::string_view operation,
                                                      aws::OperationInput& input) {
  if (!input.params.is_object()) input.params = json::object();
  const OpFn* op = Operations().Find(operation);
  if (op == nullptr) return MakeFirehoseError(errors::kUnknownOperation, {operation});
  return (*op)(*env_, ctx, input);
}

Result<int> FirehoseProvider::DeliverDue(bool force) {
  std::vector<std::shared_ptr<DeliveryStreamState>> streams;
  {
    std::lock_guard<std::mutex> g(env_->mu);
    for (const auto& [name, s] : env_->streams) streams.push_back(s);
  }
  int written = 0;
  std::optional<Error> first_error;
  for (const auto& s : streams) {
    if (env_->EffectiveStatus(*s) != "ACTIVE") continue;
    try {
      auto r = env_->Deliver(*s, force);
      if (r) {
        written += *r;
      } else if (!first_error) {
        first_error = r.error();
      }
    } catch (const std::exception& e) {
      if (!first_error) first_error = InternalError(e.what());
    }
  }
  if (first_error) return *first_error;
  return written;
}

std::map<std::string, DeliveryStreamMetrics> FirehoseProvider::Metrics() const {
  std::map<std::string, DeliveryStreamMetrics> out;
  std::lock_guard<std::mutex> g(env_->mu);
  for (const auto& [name, s] : env_->streams) {
    std::lock_guard<std::mutex> m(s->metrics_mu);
    out[name] = s->metrics;
  }
  return out;
}

}  // namespace cenote::firehose
