#include "cli/sampling_options.h"

#include <fmt/format.h>

#include <charconv>

#include "util/error.h"

namespace edgelm::cli {

void add_sampling_options(CLI::App* app, SamplingParams& params) {
  const SamplingParams d = params;  // the defaults the help states
  auto with_default = [](std::string text, const auto& value) { return fmt::format("{} [default: {}]", text, value); };
  app->add_option("--temp", params.temperature,
                  with_default("Sampling temperature; 0 or less is greedy (argmax)", d.temperature));
  app->add_option("--top-k", params.top_k, with_default("Keep the k most likely tokens (0 = off)", d.top_k));
  app->add_option("--top-p", params.top_p,
                  with_default("Keep the most likely tokens up to this total probability (1 = off)", d.top_p));
  app->add_option("--min-p", params.min_p,
                  with_default("Drop tokens below this fraction of the top token's probability (0 = off)", d.min_p));
  app->add_option("--repeat-penalty", params.repeat_penalty,
                  with_default("Penalize tokens among the last --repeat-last-n (1 = off)", d.repeat_penalty));
  app->add_option("--repeat-last-n", params.repeat_last_n,
                  with_default("Tokens the penalties look back over (0 = off, -1 = all)", d.repeat_last_n));
  app->add_option("--presence-penalty", params.presence_penalty,
                  with_default("Subtracted from the logit of every recent token (0 = off)", d.presence_penalty));
  app->add_option("--frequency-penalty", params.frequency_penalty,
                  with_default("Subtracted per occurrence of a recent token (0 = off)", d.frequency_penalty));
  app->add_option_function<std::string>(
         "--seed",
         [&params](const std::string& text) {
           if (text == "-1") {
             params.seed.reset();
             return;
           }
           uint64_t v = 0;
           const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
           if (ec != std::errc() || end != text.data() + text.size()) {
             throw CLI::ValidationError("--seed", fmt::format("'{}' is not a seed (0..2^64-1, or -1)", printable(text)));
           }
           params.seed = v;
         },
         d.seed ? fmt::format("Sampling seed; -1 = random (the seed used is printed) [default: {}]", *d.seed)
                : std::string("Sampling seed; -1 = random (the seed used is printed) [default: random]"))
      ->type_name("N");
  app->add_option_function<std::vector<std::string>>(
         "--logit-bias",
         [&params](const std::vector<std::string>& items) {
           for (const std::string& item : items) {
             try {
               const auto [id, bias] = parse_logit_bias(item);
               params.logit_bias[id] = bias;
             } catch (const Error& e) {
               throw CLI::ValidationError("--logit-bias", e.what());
             }
           }
         },
         "Add BIAS to token ID's logit, as ID=BIAS (e.g. 15043=-1.5; ID=-inf bans the token); repeatable")
      ->type_name("ID=BIAS")
      ->allow_extra_args(false);  // one ID=BIAS per --logit-bias, repeated as needed
}

}  // namespace edgelm::cli
