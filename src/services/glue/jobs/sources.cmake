# Glue jobs, job runs, bookmarks, triggers and workflows, relative to src/services/glue (compiled into
# cenote_glue by its CMakeLists.txt).
set(CENOTE_GLUE_JOBS_SOURCES
  jobs/event_triggers.cpp
  jobs/executor.cpp
  jobs/job_operations.cpp
  jobs/job_store.cpp
  jobs/jobs.cpp
  jobs/provider_jobs.cpp
  jobs/triggers.cpp
  jobs/workflows.cpp)
