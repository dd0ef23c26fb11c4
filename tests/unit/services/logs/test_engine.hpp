// One query engine for the Logs tests (Insights runs on it), over a scratch directory of its own.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "../../store/temp_dir.hpp"
#include "query/engine.hpp"

namespace cenote::logs {

struct TestEngine {
  store::testing::TempDir dir;
  std::unique_ptr<query::QueryEngine> engine;

  static TestEngine& Get() {
    static TestEngine* shared = [] {
      auto* t = new TestEngine();
      std::filesystem::create_directories(t->dir / "scratch");
      query::EngineOptions options;
      options.scratch_dir = t->dir / "scratch";
      options.threads = 1;
      auto e = query::QueryEngine::Open(options);
      if (!e.ok()) ADD_FAILURE() << "QueryEngine::Open: " << e.error().message;
      if (e.ok()) t->engine = std::move(e).value();
      return t;
    }();
    return *shared;
  }
  std::string scratch() const { return dir / "scratch"; }
};

}  // namespace cenote::logs
