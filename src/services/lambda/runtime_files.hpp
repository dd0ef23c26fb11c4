// The runtime interface clients under runtimes/, embedded at build time (generated lambda_runtimes.cpp).
#pragma once

#include <span>
#include <string_view>

namespace cenote::lambda {

struct RuntimeFile {
  std::string_view uid, name, data;
};
std::span<const RuntimeFile> EmbeddedRuntimeFiles();

}  // namespace cenote::lambda
