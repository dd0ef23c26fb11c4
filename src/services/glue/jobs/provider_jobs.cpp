// GlueProvider: the job, job run, bookmark, trigger and workflow operations, handed to Jobs in the
// request's account and region (src/services/glue/jobs/jobs.hpp). Tags given at creation are kept with the
// catalog's other resource tags (GetTags, TagResource and UntagResource answer them).
#include <algorithm>

#include "common/encoding.hpp"
#include "services/common/params.hpp"
#include "services/glue/errors.hpp"
#include "services/glue/glue_provider.hpp"
#include "services/glue/jobs/jobs.hpp"
#include "services/glue/provider_internal.hpp"

namespace cenote::glue::internal {

namespace {

Result<aws::OperationOutput> Handle(GlueEnv& env, const aws::RequestContext& ctx, aws::OperationInput& input,
                                    std::string_view op) {
  if (env.jobs == nullptr) return GlueError(errors::kInvalidInput, {"Glue jobs are not available"});
  return env.jobs->Handle(ctx, op, input.params.as_object());
}

// CreateJob / CreateTrigger / CreateWorkflow: the resource is created, then tagged; a bad tag removes it
// again (Glue validates the tags with the request). A new resource starts untagged even where a deleted one
// of its name left tags behind (a crash between its deletion and its tags').
Result<aws::OperationOutput> CreateTagged(GlueEnv& env, const aws::RequestContext& ctx,
                                          aws::OperationInput& input, std::string_view op, const char* type,
                                          const char* delete_op) {
  const object& in = input.params.as_object();
  const object* tags = nullptr;
  if (const auto* t = in.if_contains("Tags"); t && !t->is_null()) {
    if (!t->is_object()) return InvalidInput("Value at 'tags' must be a map.");
    tags = &t->get_object();
  }
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  CENOTE_ASSIGN_OR_RETURN(auto out, Handle(env, ctx, input, op));
  const std::string name(input.params.as_object().at("Name").as_string());
  const std::string arn = ResourceArn(ctx, std::string(type) + "/" + name);
  Status s = c->DropTags(arn);
  if (s && tags != nullptr && !tags->empty()) s = c->TagResource(arn, *tags);
  if (!s) {
    aws::OperationInput del;
    del.params = object{{std::string(delete_op) == "DeleteJob" ? "JobName" : "Name", name}};
    (void)Handle(env, ctx, del, delete_op);
    return std::move(s).error();
  }
  return out;
}

// DeleteJob / DeleteTrigger / DeleteWorkflow: the resource's tags go with it.
Result<aws::OperationOutput> DeleteTagged(GlueEnv& env, const aws::RequestContext& ctx,
                                          aws::OperationInput& input, std::string_view op, const char* type,
                                          const char* name_member) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  CENOTE_ASSIGN_OR_RETURN(auto out, Handle(env, ctx, input, op));
  if (const auto* name = input.params.as_object().if_contains(name_member); name && name->is_string()) {
    CENOTE_RETURN_IF_ERROR(
        c->DropTags(ResourceArn(ctx, std::string(type) + "/" + std::string(name->as_string()))));
  }
  return out;
}

// ListJobs / ListTriggers with a Tags filter: the names whose resource carries every given tag (the catalog
// keeps the tags), at most MaxResults per page; the token is the one Jobs uses (the last name, base64).
Result<aws::OperationOutput> ListTagged(GlueEnv& env, const aws::RequestContext& ctx,
                                        aws::OperationInput& input, std::string_view op, const char* type,
                                        const char* member) {
  const object& in = input.params.as_object();
  const value* tags_value = in.if_contains("Tags");
  if (tags_value == nullptr || !tags_value->is_object() || tags_value->get_object().empty()) {
    return Handle(env, ctx, input, op);
  }
  const object wanted = tags_value->get_object();
  const std::int64_t limit =
      std::clamp<std::int64_t>(services::GetInt(in, "MaxResults").value_or(1000), 1, 1000);
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  array names;
  std::string token = services::GetString(in, "NextToken").value_or("");
  bool more = false;
  while (true) {
    aws::OperationInput page;
    object params{{"MaxResults", 1000}};
    if (!token.empty()) params["NextToken"] = token;
    if (const value* dep = in.if_contains("DependentJobName")) params["DependentJobName"] = *dep;
    page.params = std::move(params);
    CENOTE_ASSIGN_OR_RETURN(auto out, Handle(env, ctx, page, op));
    const object& result = out.result.as_object();
    for (const auto& n : result.at(member).as_array()) {
      const std::string name(n.as_string());
      auto tags = c->GetTags(ResourceArn(ctx, std::string(type) + "/" + name));
      if (!tags) continue;
      bool match = true;
      for (const auto& kv : wanted) {
        const value* have = tags->if_contains(kv.key());
        if (have == nullptr || *have != kv.value()) match = false;
      }
      if (!match) continue;
      if (static_cast<std::int64_t>(names.size()) >= limit) {
        more = true;
        break;
      }
      names.push_back(n);
    }
    const auto next = services::GetString(result, "NextToken");
    if (more || !next || next->empty()) break;
    token = *next;
  }
  object out{{member, std::move(names)}};
  if (more) out["NextToken"] = Base64Encode(std::string(out[member].as_array().back().as_string()));
  return out;
}

}  // namespace

Result<aws::OperationOutput> CreateJob(GlueEnv& env, const aws::RequestContext& ctx,
                                       aws::OperationInput& input) {
  return CreateTagged(env, ctx, input, "CreateJob", "job", "DeleteJob");
}

Result<aws::OperationOutput> GetJob(GlueEnv& env, const aws::RequestContext& ctx,
                                    aws::OperationInput& input) {
  return Handle(env, ctx, input, "GetJob");
}

Result<aws::OperationOutput> GetJobs(GlueEnv& env, const aws::RequestContext& ctx,
                                     aws::OperationInput& input) {
  return Handle(env, ctx, input, "GetJobs");
}

Result<aws::OperationOutput> ListJobs(GlueEnv& env, const aws::RequestContext& ctx,
                                      aws::OperationInput& input) {
  return ListTagged(env, ctx, input, "ListJobs", "job", "JobNames");
}

Result<aws::OperationOutput> BatchGetJobs(GlueEnv& env, const aws::RequestContext& ctx,
                                          aws::OperationInput& input) {
  return Handle(env, ctx, input, "BatchGetJobs");
}

Result<aws::OperationOutput> UpdateJob(GlueEnv& env, const aws::RequestContext& ctx,
                                       aws::OperationInput& input) {
  return Handle(env, ctx, input, "UpdateJob");
}

Result<aws::OperationOutput> DeleteJob(GlueEnv& env, const aws::RequestContext& ctx,
                                       aws::OperationInput& input) {
  return DeleteTagged(env, ctx, input, "DeleteJob", "job", "JobName");
}

Result<aws::OperationOutput> StartJobRun(GlueEnv& env, const aws::RequestContext& ctx,
                                         aws::OperationInput& input) {
  return Handle(env, ctx, input, "StartJobRun");
}

Result<aws::OperationOutput> GetJobRun(GlueEnv& env, const aws::RequestContext& ctx,
                                       aws::OperationInput& input) {
  return Handle(env, ctx, input, "GetJobRun");
}

Result<aws::OperationOutput> GetJobRuns(GlueEnv& env, const aws::RequestContext& ctx,
                                        aws::OperationInput& input) {
  return Handle(env, ctx, input, "GetJobRuns");
}

Result<aws::OperationOutput> BatchStopJobRun(GlueEnv& env, const aws::RequestContext& ctx,
                                             aws::OperationInput& input) {
  return Handle(env, ctx, input, "BatchStopJobRun");
}

Result<aws::OperationOutput> GetJobBookmark(GlueEnv& env, const aws::RequestContext& ctx,
                                            aws::OperationInput& input) {
  return Handle(env, ctx, input, "GetJobBookmark");
}

Result<aws::OperationOutput> ResetJobBookmark(GlueEnv& env, const aws::RequestContext& ctx,
                                              aws::OperationInput& input) {
  return Handle(env, ctx, input, "ResetJobBookmark");
}

Result<aws::OperationOutput> CreateTrigger(GlueEnv& env, const aws::RequestContext& ctx,
                                           aws::OperationInput& input) {
  return CreateTagged(env, ctx, input, "CreateTrigger", "trigger", "DeleteTrigger");
}

Result<aws::OperationOutput> GetTrigger(GlueEnv& env, const aws::RequestContext& ctx,
                                        aws::OperationInput& input) {
  return Handle(env, ctx, input, "GetTrigger");
}

Result<aws::OperationOutput> GetTriggers(GlueEnv& env, const aws::RequestContext& ctx,
                                         aws::OperationInput& input) {
  return Handle(env, ctx, input, "GetTriggers");
}

Result<aws::OperationOutput> ListTriggers(GlueEnv& env, const aws::RequestContext& ctx,
                                          aws::OperationInput& input) {
  return ListTagged(env, ctx, input, "ListTriggers", "trigger", "TriggerNames");
}

Result<aws::OperationOutput> BatchGetTriggers(GlueEnv& env, const aws::RequestContext& ctx,
                                              aws::OperationInput& input) {
  return Handle(env, ctx, input, "BatchGetTriggers");
}

Result<aws::OperationOutput> UpdateTrigger(GlueEnv& env, const aws::RequestContext& ctx,
                                           aws::OperationInput& input) {
  return Handle(env, ctx, input, "UpdateTrigger");
}

Result<aws::OperationOutput> DeleteTrigger(GlueEnv& env, const aws::RequestContext& ctx,
                                           aws::OperationInput& input) {
  return DeleteTagged(env, ctx, input, "DeleteTrigger", "trigger", "Name");
}

Result<aws::OperationOutput> StartTrigger(GlueEnv& env, const aws::RequestContext& ctx,
                                          aws::OperationInput& input) {
  return Handle(env, ctx, input, "StartTrigger");
}

Result<aws::OperationOutput> StopTrigger(GlueEnv& env, const aws::RequestContext& ctx,
                                         aws::OperationInput& input) {
  return Handle(env, ctx, input, "StopTrigger");
}

Result<aws::OperationOutput> CreateWorkflow(GlueEnv& env, const aws::RequestContext& ctx,
                                            aws::OperationInput& input) {
  return CreateTagged(env, ctx, input, "CreateWorkflow", "workflow", "DeleteWorkflow");
}

Result<aws::OperationOutput> GetWorkflow(GlueEnv& env, const aws::RequestContext& ctx,
                                         aws::OperationInput& input) {
  return Handle(env, ctx, input, "GetWorkflow");
}

Result<aws::OperationOutput> ListWorkflows(GlueEnv& env, const aws::RequestContext& ctx,
                                           aws::OperationInput& input) {
  return Handle(env, ctx, input, "ListWorkflows");
}

Result<aws::OperationOutput> BatchGetWorkflows(GlueEnv& env, const aws::RequestContext& ctx,
                                               aws::OperationInput& input) {
  return Handle(env, ctx, input, "BatchGetWorkflows");
}

Result<aws::OperationOutput> UpdateWorkflow(GlueEnv& env, const aws::RequestContext& ctx,
                                            aws::OperationInput& input) {
  return Handle(env, ctx, input, "UpdateWorkflow");
}

Result<aws::OperationOutput> DeleteWorkflow(GlueEnv& env, const aws::RequestContext& ctx,
                                            aws::OperationInput& input) {
  return DeleteTagged(env, ctx, input, "DeleteWorkflow", "workflow", "Name");
}

Result<aws::OperationOutput> StartWorkflowRun(GlueEnv& env, const aws::RequestContext& ctx,
                                              aws::OperationInput& input) {
  return Handle(env, ctx, input, "StartWorkflowRun");
}

Result<aws::OperationOutput> NotifyEvent(GlueEnv& env, const aws::RequestContext& ctx,
                                         aws::OperationInput& input) {
  // Only EventBridge sends it (a rule's workflow target, in-process): to any other caller it is the
  // operation AWS's API does not have.
  if (!ctx.in_process() || ctx.invoked_by != "events.amazonaws.com") {
    return MakeError("UnknownOperationException", "Unknown operation NotifyEvent", 400);
  }
  return Handle(env, ctx, input, "NotifyEvent");
}

Result<aws::OperationOutput> GetWorkflowRun(GlueEnv& env, const aws::RequestContext& ctx,
                                            aws::OperationInput& input) {
  return Handle(env, ctx, input, "GetWorkflowRun");
}

Result<aws::OperationOutput> GetWorkflowRuns(GlueEnv& env, const aws::RequestContext& ctx,
                                             aws::OperationInput& input) {
  return Handle(env, ctx, input, "GetWorkflowRuns");
}

Result<aws::OperationOutput> StopWorkflowRun(GlueEnv& env, const aws::RequestContext& ctx,
                                             aws::OperationInput& input) {
  return Handle(env, ctx, input, "StopWorkflowRun");
}

Result<aws::OperationOutput> GetWorkflowRunProperties(GlueEnv& env, const aws::RequestContext& ctx,
                                                      aws::OperationInput& input) {
  return Handle(env, ctx, input, "GetWorkflowRunProperties");
}

Result<aws::OperationOutput> PutWorkflowRunProperties(GlueEnv& env, const aws::RequestContext& ctx,
                                                      aws::OperationInput& input) {
  return Handle(env, ctx, input, "PutWorkflowRunProperties");
}

Result<aws::OperationOutput> ResumeWorkflowRun(GlueEnv& env, const aws::RequestContext& ctx,
                                               aws::OperationInput& input) {
  return Handle(env, ctx, input, "ResumeWorkflowRun");
}

}  // namespace cenote::glue::internal
