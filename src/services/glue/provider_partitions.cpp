// GlueProvider: partitions.
#include "services/glue/errors.hpp"
#include "services/glue/provider_internal.hpp"

namespace cenote::glue::internal {
namespace {

Result<std::vector<std::string>> ValuesMember(const object& in, const char* member, const std::string& path) {
  const auto* v = in.if_contains(member);
  if (v == nullptr || v->is_null()) return MissingMember(path);
  return StringList(*v, path);
}

array ValuesArray(const std::vector<std::string>& values) {
  array a;
  for (const auto& v : values) a.emplace_back(v);
  return a;
}

// BatchCreatePartition / BatchDeletePartition output: {"Errors": [PartitionError]}.
object PartitionErrors(const std::vector<EntryError>& errors) {
  array out;
  for (const auto& e : errors) {
    out.push_back(
        object{{"PartitionValues", ValuesArray(e.partition_values)}, {"ErrorDetail", ErrorDetail(e.error)}});
  }
  return object{{"Errors", std::move(out)}};
}

// A stable hash of the partition values (FNV-1a), so that Segment splits are the same on every call.
std::uint64_t SegmentHash(const object& partition) {
  std::uint64_t h = 1469598103934665603ULL;
  if (const auto* v = partition.if_contains("Values"); v && v->is_array()) {
    for (const auto& e : v->get_array()) {
      if (!e.is_string()) continue;
      for (unsigned char ch : e.get_string()) {
        h ^= ch;
        h *= 1099511628211ULL;
      }
      h ^= 0xff;
      h *= 1099511628211ULL;
    }
  }
  return h;
}

void ExcludeColumns(object& partition) {
  if (auto* sd = partition.if_contains("StorageDescriptor"); sd && sd->is_object())
    sd->get_object().erase("Columns");
}

}  // namespace

Result<aws::OperationOutput> CreatePartition(GlueEnv& env, const aws::RequestContext& ctx,
                                             aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto t, TableOf(in));
  CENOTE_ASSIGN_OR_RETURN(auto member_input, RequiredObject(in, "PartitionInput"));
  CENOTE_RETURN_IF_ERROR(c->CreatePartition(t.database, t.table, *member_input));
  return object();
}

Result<aws::OperationOutput> BatchCreatePartition(GlueEnv& env, const aws::RequestContext& ctx,
                                                  aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto t, TableOf(in));
  CENOTE_ASSIGN_OR_RETURN(auto list, RequiredArray(in, "PartitionInputList"));
  std::vector<object> inputs;
  for (const auto& e : *list) {
    if (!e.is_object()) return InvalidInput("Value at 'partitionInputList' must be a list of structures.");
    inputs.push_back(e.get_object());
  }
  CENOTE_ASSIGN_OR_RETURN(auto errors, c->BatchCreatePartition(t.database, t.table, inputs));
  return PartitionErrors(errors);
}

Result<aws::OperationOutput> GetPartition(GlueEnv& env, const aws::RequestContext& ctx,
                                          aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto t, TableOf(in));
  CENOTE_ASSIGN_OR_RETURN(auto values, ValuesMember(in, "PartitionValues", "partitionValues"));
  CENOTE_ASSIGN_OR_RETURN(auto p, c->GetPartition(t.database, t.table, values));
  return object{{"Partition", std::move(p)}};
}

Result<aws::OperationOutput> GetPartitions(GlueEnv& env, const aws::RequestContext& ctx,
                                           aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto t, TableOf(in));
  CENOTE_ASSIGN_OR_RETURN(auto expression, OptionalString(in, "Expression"));
  CENOTE_ASSIGN_OR_RETURN(auto token, OptionalString(in, "NextToken"));
  CENOTE_ASSIGN_OR_RETURN(auto size, PageSize(in, "MaxResults", 1000));
  std::int64_t segment = 0, total_segments = 1;
  if (const auto* s = in.if_contains("Segment"); s && !s->is_null()) {
    if (!s->is_object()) return InvalidInput("Value at 'segment' must be a structure.");
    const auto* number = s->get_object().if_contains("SegmentNumber");
    const auto* total = s->get_object().if_contains("TotalSegments");
    if (number == nullptr || !number->is_int64()) return MissingMember("segment.segmentNumber");
    if (total == nullptr || !total->is_int64()) return MissingMember("segment.totalSegments");
    segment = number->get_int64();
    total_segments = total->get_int64();
    if (total_segments < 1 || total_segments > 10) {
      return InvalidInput(
          "1 validation error detected: Value at 'segment.totalSegments' failed to satisfy constraint: "
          "Member "
          "must have value between 1 and 10");
    }
    if (segment < 0 || segment >= total_segments) {
      return InvalidInput("The segment number must be between 0 and TotalSegments - 1.");
    }
  }
  CENOTE_ASSIGN_OR_RETURN(auto page, c->GetPartitions(t.database, t.table, expression, token, size));
  const bool exclude_columns = OptionalBool(in, "ExcludeColumnSchema");
  std::vector<object> kept;
  for (auto& p : page.items) {
    // Segments partition the table's partitions by a hash of their values. A page may then hold fewer
    // than MaxResults (even none) with a NextToken; paginators follow the token, as with Glue.
    if (total_segments > 1 && static_cast<std::int64_t>(SegmentHash(p) % total_segments) != segment) continue;
    if (exclude_columns) ExcludeColumns(p);
    kept.push_back(std::move(p));
  }
  page.items = std::move(kept);
  return PageOutput(std::move(page), "Partitions");
}

Result<aws::OperationOutput> BatchGetPartition(GlueEnv& env, const aws::RequestContext& ctx,
                                               aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto t, TableOf(in));
  CENOTE_ASSIGN_OR_RETURN(auto list, RequiredArray(in, "PartitionsToGet"));
  // The table must exist even when nothing is asked for.
  CENOTE_RETURN_IF_ERROR(c->GetTable(t.database, t.table));
  array partitions;
  for (const auto& e : *list) {
    if (!e.is_object()) return InvalidInput("Value at 'partitionsToGet' must be a list of structures.");
    CENOTE_ASSIGN_OR_RETURN(auto values,
                            ValuesMember(e.get_object(), "Values", "partitionsToGet.member.values"));
    auto p = c->GetPartition(t.database, t.table, values);
    if (p) {
      partitions.emplace_back(std::move(p).value());
    } else if (p.error().code != "EntityNotFoundException") {
      return std::move(p).error();
    }  // missing partitions are left out, as Glue does
  }
  return object{{"Partitions", std::move(partitions)}, {"UnprocessedKeys", array()}};
}

Result<aws::OperationOutput> UpdatePartition(GlueEnv& env, const aws::RequestContext& ctx,
                                             aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto t, TableOf(in));
  CENOTE_ASSIGN_OR_RETURN(auto values, ValuesMember(in, "PartitionValueList", "partitionValueList"));
  CENOTE_ASSIGN_OR_RETURN(auto member_input, RequiredObject(in, "PartitionInput"));
  CENOTE_RETURN_IF_ERROR(c->UpdatePartition(t.database, t.table, values, *member_input));
  return object();
}

Result<aws::OperationOutput> BatchUpdatePartition(GlueEnv& env, const aws::RequestContext& ctx,
                                                  aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto t, TableOf(in));
  CENOTE_ASSIGN_OR_RETURN(auto list, RequiredArray(in, "Entries"));
  if (list->empty()) {
    return InvalidInput(
        "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have "
        "length "
        "greater than or equal to 1");
  }
  CENOTE_RETURN_IF_ERROR(c->GetTable(t.database, t.table));
  array errors;
  for (const auto& e : *list) {
    if (!e.is_object()) return InvalidInput("Value at 'entries' must be a list of structures.");
    CENOTE_ASSIGN_OR_RETURN(
        auto values, ValuesMember(e.get_object(), "PartitionValueList", "entries.member.partitionValueList"));
    CENOTE_ASSIGN_OR_RETURN(auto member_input, RequiredObject(e.get_object(), "PartitionInput"));
    Status s = c->UpdatePartition(t.database, t.table, values, *member_input);
    if (s) continue;
    if (s.error().http_status >= 500) return std::move(s).error();
    errors.push_back(
        object{{"PartitionValueList", ValuesArray(values)}, {"ErrorDetail", ErrorDetail(s.error())}});
  }
  return object{{"Errors", std::move(errors)}};
}

Result<aws::OperationOutput> DeletePartition(GlueEnv& env, const aws::RequestContext& ctx,
                                             aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto t, TableOf(in));
  CENOTE_ASSIGN_OR_RETURN(auto values, ValuesMember(in, "PartitionValues", "partitionValues"));
  CENOTE_RETURN_IF_ERROR(c->DeletePartition(t.database, t.table, values));
  return object();
}

Result<aws::OperationOutput> BatchDeletePartition(GlueEnv& env, const aws::RequestContext& ctx,
                                                  aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto t, TableOf(in));
  CENOTE_ASSIGN_OR_RETURN(auto list, RequiredArray(in, "PartitionsToDelete"));
  std::vector<std::vector<std::string>> values_list;
  for (const auto& e : *list) {
    if (!e.is_object()) return InvalidInput("Value at 'partitionsToDelete' must be a list of structures.");
    CENOTE_ASSIGN_OR_RETURN(auto values,
                            ValuesMember(e.get_object(), "Values", "partitionsToDelete.member.values"));
    values_list.push_back(std::move(values));
  }
  CENOTE_ASSIGN_OR_RETURN(auto errors, c->BatchDeletePartition(t.database, t.table, values_list));
  return PartitionErrors(errors);
}

}  // namespace cenote::glue::internal
