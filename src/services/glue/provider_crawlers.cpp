// GlueProvider: the crawler operations, handed to Crawlers in the request's account and region.
#include "services/glue/provider_internal.hpp"

namespace cenote::glue::internal {

namespace {

const object& In(const aws::OperationInput& input) { return input.params.as_object(); }

}  // namespace

Result<aws::OperationOutput> CreateCrawler(GlueEnv& env, const aws::RequestContext& ctx,
                                           aws::OperationInput& input) {
  return env.crawlers.CreateCrawler(ctx, In(input));
}
Result<aws::OperationOutput> GetCrawler(GlueEnv& env, const aws::RequestContext& ctx,
                                        aws::OperationInput& input) {
  return env.crawlers.GetCrawler(ctx, In(input));
}
Result<aws::OperationOutput> GetCrawlers(GlueEnv& env, const aws::RequestContext& ctx,
                                         aws::OperationInput& input) {
  return env.crawlers.GetCrawlers(ctx, In(input));
}
Result<aws::OperationOutput> ListCrawlers(GlueEnv& env, const aws::RequestContext& ctx,
                                          aws::OperationInput& input) {
  return env.crawlers.ListCrawlers(ctx, In(input));
}
Result<aws::OperationOutput> BatchGetCrawlers(GlueEnv& env, const aws::RequestContext& ctx,
                                              aws::OperationInput& input) {
  return env.crawlers.BatchGetCrawlers(ctx, In(input));
}
Result<aws::OperationOutput> UpdateCrawler(GlueEnv& env, const aws::RequestContext& ctx,
                                           aws::OperationInput& input) {
  return env.crawlers.UpdateCrawler(ctx, In(input));
}
Result<aws::OperationOutput> DeleteCrawler(GlueEnv& env, const aws::RequestContext& ctx,
                                           aws::OperationInput& input) {
  return env.crawlers.DeleteCrawler(ctx, In(input));
}
Result<aws::OperationOutput> StartCrawler(GlueEnv& env, const aws::RequestContext& ctx,
                                          aws::OperationInput& input) {
  return env.crawlers.StartCrawler(ctx, In(input));
}
Result<aws::OperationOutput> StopCrawler(GlueEnv& env, const aws::RequestContext& ctx,
                                         aws::OperationInput& input) {
  return env.crawlers.StopCrawler(ctx, In(input));
}
Result<aws::OperationOutput> GetCrawlerMetrics(GlueEnv& env, const aws::RequestContext& ctx,
                                               aws::OperationInput& input) {
  return env.crawlers.GetCrawlerMetrics(ctx, In(input));
}
Result<aws::OperationOutput> ListCrawls(GlueEnv& env, const aws::RequestContext& ctx,
                                        aws::OperationInput& input) {
  return env.crawlers.ListCrawls(ctx, In(input));
}
Result<aws::OperationOutput> StartCrawlerSchedule(GlueEnv& env, const aws::RequestContext& ctx,
                                                  aws::OperationInput& input) {
  return env.crawlers.SetScheduleState(ctx, In(input), /*scheduled=*/true);
}
Result<aws::OperationOutput> StopCrawlerSchedule(GlueEnv& env, const aws::RequestContext& ctx,
                                                 aws::OperationInput& input) {
  return env.crawlers.SetScheduleState(ctx, In(input), /*scheduled=*/false);
}
Result<aws::OperationOutput> UpdateCrawlerSchedule(GlueEnv& env, const aws::RequestContext& ctx,
                                                   aws::OperationInput& input) {
  return env.crawlers.UpdateCrawlerSchedule(ctx, In(input));
}

}  // namespace cenote::glue::internal
