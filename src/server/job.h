#pragma once
// One request as the scheduler sees it: prompt ids, how to sample and stop, and the
// channel its reply goes out through.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/prompt_images.h"
#include "sample/sampling_params.h"
#include "server/result_channel.h"

namespace edgelm::server {

struct Job {
  std::vector<int32_t> prompt;  // non-empty, shorter than the slot's context
  std::vector<PromptImage> images;  // the images among the prompt (kImageTokenId positions)
  SamplingParams sampling;      // validated against the vocabulary
  std::vector<std::string> stops;
  int32_t max_tokens = -1;      // -1: until the model stops or the context is full
  bool split_thoughts = true;   // chat: Gemma 4's thought channel apart from the answer
  std::shared_ptr<ResultChannel> channel;
};

}  // namespace edgelm::server
