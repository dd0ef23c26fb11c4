// PutEvents: entries checked one by one (per-entry errors, as AWS answers them), matched against the rules
// and archives of their bus, and written to the outbox in one transaction before the answer.
#include "common/random.hpp"
#include "services/events/internal.hpp"

namespace cenote::events {

namespace {

// AWS's entry size (PutEvents: "Calculating PutEvents event entry size"): Time 14 bytes, the UTF-8 bytes of
// Source, DetailType and Detail, and of each Resources entry.
std::size_t EntrySize(const json::object& e) {
  std::size_t size = e.contains("Time") ? 14 : 0;
  for (const char* m : {"Source", "DetailType", "Detail"}) size += GetString(e, m).value_or("").size();
  if (const json::array* r = GetArray(e, "Resources")) {
    for (const auto& x : *r) size += x.is_string() ? x.get_string().size() : 0;
  }
  return size;
}

json::object EntryError(std::string code, std::string message) {
  return json::object{{"ErrorCode", std::move(code)}, {"ErrorMessage", std::move(message)}};
}

}  // namespace

json::object MakeEvent(const std::string& id, const std::string& detail_type, const std::string& source,
                       const Where& sender, const std::string& region, std::int64_t time_ms,
                       const json::array& resources, json::value detail) {
  return json::object{{"version", "0"},
                      {"id", id},
                      {"detail-type", detail_type},
                      {"source", source},
                      {"account", sender.account},
                      {"time", IsoSeconds(time_ms)},
                      {"region", region},
                      {"resources", resources},
                      {"detail", std::move(detail)}};
}

Result<std::vector<Delivery>> RouteToRule(Env& env, store::Transaction& txn, const Rule& rule,
                                          const std::string& event_text, std::int64_t now_ms) {
  std::vector<Delivery> rows;
  for (const json::object& target : rule.targets) {
    json::object doc{{"event", event_text},
                     {"rule_arn", rule.arn},
                     {"rule_name", rule.name},
                     {"account", rule.where.account},
                     {"region", rule.where.region},
                     {"target", target},
                     {"attempts", 0},
                     {"first_ms", now_ms}};
    Delivery d;
    d.id = env.next_outbox_id++;
    d.due_ms = now_ms;
    d.doc = json::serialize(doc);
    CENOTE_RETURN_IF_ERROR(
        txn.Exec("INSERT INTO events_outbox (id, due_ms, doc) VALUES (?, ?, ?)", {d.id, d.due_ms, d.doc}));
    rows.push_back(std::move(d));
  }
  return rows;
}

Result<std::vector<Delivery>> Route(Env& env, store::Transaction& txn, const Where& bus_where,
                                    const std::string& bus, const std::string& event_text,
                                    const json::value& parsed, std::int64_t now_ms,
                                    const std::vector<std::string>* only_rules, bool archive,
                                    std::int64_t event_ms) {
  std::vector<Delivery> rows;
  auto first = env.rules.lower_bound({bus_where, bus, std::string()});
  for (auto it = first;
       it != env.rules.end() && std::get<0>(it->first) == bus_where && std::get<1>(it->first) == bus; ++it) {
    const Rule& r = it->second;
    if (!r.Enabled() || !r.pattern || r.targets.empty()) continue;
    if (only_rules != nullptr &&
        std::find(only_rules->begin(), only_rules->end(), r.arn) == only_rules->end()) {
      continue;
    }
    if (!r.pattern->Matches(parsed)) continue;
    CENOTE_ASSIGN_OR_RETURN(auto more, RouteToRule(env, txn, r, event_text, now_ms));
    for (auto& d : more) rows.push_back(std::move(d));
  }
  if (archive) {
    const std::string bus_arn = BusArn(bus_where, bus);
    for (const auto& [key, a] : env.archives) {
      if (a.source_arn != bus_arn || a.state != "ENABLED") continue;
      if (a.pattern && !a.pattern->Matches(parsed)) continue;
      CENOTE_RETURN_IF_ERROR(
          txn.Exec("INSERT INTO events_archived (seq, archive, time_ms, doc) VALUES (?, ?, ?, ?)",
                   {env.next_archived_seq++, a.arn, event_ms, event_text}));
    }
  }
  return rows;
}

void Publish(Env& env, std::vector<Delivery> rows) {
  if (rows.empty()) return;
  {
    MutexLock lock(env.mu);
    for (auto& d : rows) {
      env.due.emplace(d.due_ms, d.id);
      env.outbox.emplace(d.id, std::move(d));
    }
  }
  if (env.wake) env.wake();
}

Result<OperationOutput> PutEvents(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const json::array* entries = GetArray(p, "Entries");
  if (entries == nullptr || entries->empty()) {
    return MakeError(errors::kValidation, {"Entries is a required argument."});
  }
  std::size_t total = 0;
  for (const auto& e : *entries) total += e.is_object() ? EntrySize(e.as_object()) : 0;
  if (total > kMaxPutEventsBytes) {
    return MakeError(errors::kValidation, {"Total size of the entries in the request is over the limit."});
  }
  const std::int64_t now = env.Now();
  const bool from_service = !ctx.invoked_by.empty();
  const Where sender{ctx.account_id(), ctx.region};
  json::array results;
  int failed = 0;
  std::vector<Delivery> rows;
  {
    MutexLock lock(env.mu);
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
    const std::int64_t archived_before = env.next_archived_seq;
    for (const auto& v : *entries) {
      const json::object& e = v.as_object();
      auto fail = [&](std::string code, std::string message) {
        results.push_back(EntryError(std::move(code), std::move(message)));
        ++failed;
      };
      const std::string source = GetString(e, "Source").value_or("");
      const std::string detail_type = GetString(e, "DetailType").value_or("");
      const std::string detail_text = GetString(e, "Detail").value_or("");
      if (source.empty()) {
        fail("InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument.");
        continue;
      }
      if (detail_type.empty()) {
        fail("InvalidArgument",
             "Parameter DetailType is not valid. Reason: DetailType is a required argument.");
        continue;
      }
      if (detail_text.empty()) {
        fail("InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument.");
        continue;
      }
      boost::system::error_code ec;
      json::value detail = json::parse(detail_text, ec);
      if (ec || !detail.is_object()) {
        fail("MalformedDetail", "Detail is malformed.");
        continue;
      }
      if (source.starts_with("aws.") && !from_service) {
        fail("NotAuthorizedForSourceException", "Not authorized for the source.");
        continue;
      }
      auto [bus_where, bus] = ResolveBusName(ctx, GetString(e, "EventBusName").value_or(""));
      if (env.FindBus(bus_where, bus) == nullptr) {
        fail("ResourceNotFoundException", "Event bus " + bus + " does not exist.");
        continue;
      }
      json::array resources;
      if (const json::array* r = GetArray(e, "Resources")) resources = *r;
      const std::string id = NewUuidV4();
      // The event's time (the entry's Time, else now): what a replay's EventStartTime/EventEndTime select by.
      const std::int64_t event_ms = GetInt(e, "Time").value_or(now);
      json::object event = MakeEvent(id, detail_type, source, sender, bus_where.region, event_ms, resources,
                                     std::move(detail));
      const json::value parsed(std::move(event));
      const std::string text = json::serialize(parsed);
      CENOTE_ASSIGN_OR_RETURN(auto routed,
                              Route(env, *txn, bus_where, bus, text, parsed, now, nullptr, true, event_ms));
      for (auto& d : routed) rows.push_back(std::move(d));
      results.push_back(json::object{{"EventId", id}});
    }
    // Durable before the answer: an accepted entry is delivered at least once, across kill -9 too. An event
    // no rule or archive took leaves nothing to keep (AWS services' events mostly): no commit, no fsync.
    if (rows.empty() && env.next_archived_seq == archived_before) {
      txn->Rollback();
    } else {
      CENOTE_RETURN_IF_ERROR(txn->Commit());
    }
  }
  Publish(env, std::move(rows));
  return json::object{{"FailedEntryCount", failed}, {"Entries", std::move(results)}};
}

}  // namespace cenote::events
