#include "server/request.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "chat/chat_messages.h"
#include "server/api_error.h"
#include "util/base64.h"
#include "util/error.h"
#include "vision/image_prompt.h"

namespace edgelm::server {

namespace {

using json = nlohmann::ordered_json;

// The JSON type of a value in the words of the error messages ("string", "number", ...).
std::string kind(const json& v) { return v.is_number() ? "number" : v.type_name(); }

// Typed access to an object's fields: a field that is absent or null gives nullopt,
// one of the wrong type or out of range a 400 naming it.
class Fields {
 public:
  Fields(const json& object, std::string prefix) : object_(object), prefix_(std::move(prefix)) {}

  const json* get(const char* name) const {
    const auto it = object_.find(name);
    return it == object_.end() || it->is_null() ? nullptr : &*it;
  }
  std::string path(const char* name) const { return prefix_ + name; }

  std::optional<bool> boolean(const char* name) const {
    const json* v = get(name);
    if (v == nullptr) return std::nullopt;
    if (!v->is_boolean()) throw wrong_type(name, "a boolean", *v);
    return v->get<bool>();
  }

  std::optional<double> number(const char* name, double lo, double hi) const {
    const json* v = get(name);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number()) throw wrong_type(name, "a number", *v);
    const double x = v->get<double>();
    if (!(x >= lo && x <= hi)) {
      throw invalid_field(path(name), fmt::format("'{}' is {}; it must be between {} and {}", path(name), x, lo, hi));
    }
    return x;
  }

  std::optional<int64_t> integer(const char* name, int64_t lo, int64_t hi) const {
    const json* v = get(name);
    if (v == nullptr) return std::nullopt;
    const std::optional<int64_t> x = as_integer(*v);
    if (!x) throw wrong_type(name, "an integer", *v);
    if (*x < lo || *x > hi) {
      throw invalid_field(path(name), fmt::format("'{}' is {}; it must be between {} and {}", path(name), *x, lo, hi));
    }
    return x;
  }

  ApiError wrong_type(const char* name, const char* expected, const json& got) const {
    return invalid_field(path(name), fmt::format("'{}' must be {}, not a {}", path(name), expected, kind(got)));
  }

  // Integral JSON numbers (5 or 5.0) that fit in int64.
  static std::optional<int64_t> as_integer(const json& v) {
    if (v.is_number_unsigned()) {
      const uint64_t u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
      return static_cast<int64_t>(u);
    }
    if (v.is_number_integer()) return v.get<int64_t>();
    if (v.is_number_float()) {
      const double d = v.get<double>();
      if (std::trunc(d) == d && std::fabs(d) < 9.0e18) return static_cast<int64_t>(d);
    }
    return std::nullopt;
  }

 private:
  const json& object_;
  std::string prefix_;
};

constexpr int64_t kMaxInt32 = std::numeric_limits<int32_t>::max();

std::vector<std::string> parse_stops(const Fields& f, const RequestLimits& limits) {
  const json* v = f.get("stop");
  std::vector<std::string> stops;
  if (v == nullptr) return stops;
  if (v->is_string()) {
    stops.push_back(v->get<std::string>());
  } else if (v->is_array()) {
    if (v->size() > limits.max_stops) {
      throw invalid_field("stop", fmt::format("'stop' has {} strings; at most {} are allowed", v->size(), limits.max_stops));
    }
    for (const json& s : *v) {
      if (!s.is_string()) throw invalid_field("stop", fmt::format("'stop' must hold strings, not a {}", kind(s)));
      stops.push_back(s.get<std::string>());
    }
  } else {
    throw f.wrong_type("stop", "a string or an array of strings", *v);
  }
  for (const std::string& s : stops) {
    if (s.empty()) throw invalid_field("stop", "'stop' strings must not be empty");
    if (s.size() > limits.max_stop_bytes) {
      throw invalid_field("stop", fmt::format("a 'stop' string is {} bytes; at most {} are allowed", s.size(),
                                              limits.max_stop_bytes));
    }
  }
  return stops;
}

// "123" -> 123; anything else (sign, spaces, trailing text) is not a token id.
std::optional<int64_t> token_id_key(const std::string& key) {
  int64_t id = 0;
  const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), id);
  if (ec != std::errc() || end != key.data() + key.size() || key.empty() || key[0] == '-') return std::nullopt;
  return id;
}

void parse_logit_bias(const Fields& f, const RequestLimits& limits, SamplingParams& params) {
  const json* v = f.get("logit_bias");
  if (v == nullptr) return;
  if (!v->is_object()) throw f.wrong_type("logit_bias", "an object mapping token ids to biases", *v);
  for (const auto& [key, bias] : v->items()) {
    const std::optional<int64_t> id = token_id_key(key);
    if (!id || *id >= static_cast<int64_t>(limits.n_vocab)) {
      throw invalid_field("logit_bias", fmt::format("'logit_bias' key '{}' is not a token id (0..{})", key,
                                                    limits.n_vocab == 0 ? 0 : limits.n_vocab - 1));
    }
    if (!bias.is_number()) {
      throw invalid_field("logit_bias", fmt::format("'logit_bias' value for token {} must be a number", *id));
    }
    const double b = bias.get<double>();
    if (!(b >= -100.0 && b <= 100.0)) {
      throw invalid_field("logit_bias", fmt::format("'logit_bias' value {} for token {} is outside [-100, 100]", b, *id));
    }
    params.logit_bias[static_cast<int32_t>(*id)] = static_cast<float>(b);
  }
}

// Seeds are any JSON integer: negative ones are taken modulo 2^64.
void parse_seed(const Fields& f, SamplingParams& params) {
  const json* v = f.get("seed");
  if (v == nullptr) return;
  if (v->is_number_unsigned()) {
    params.seed = v->get<uint64_t>();
    return;
  }
  const std::optional<int64_t> seed = Fields::as_integer(*v);
  if (!seed) throw f.wrong_type("seed", "an integer", *v);
  params.seed = static_cast<uint64_t>(*seed);
}

GenerationRequest parse_generation(const json& body, const RequestLimits& limits) {
  const Fields f(body, "");
  GenerationRequest g;
  g.stream = f.boolean("stream").value_or(false);
  if (const json* options = f.get("stream_options")) {
    if (!options->is_object()) throw f.wrong_type("stream_options", "an object", *options);
    g.include_usage = Fields(*options, "stream_options.").boolean("include_usage").value_or(false);
  }
  // max_completion_tokens is the newer name; it wins when both are given.
  std::optional<int64_t> max_tokens = f.integer("max_completion_tokens", -1, kMaxInt32);
  if (!max_tokens) max_tokens = f.integer("max_tokens", -1, kMaxInt32);
  g.max_tokens = static_cast<int32_t>(max_tokens.value_or(-1));
  if (const std::optional<int64_t> n = f.integer("n", 1, kMaxInt32); n && *n != 1) {
    throw invalid_field("n", "only one choice per request is supported ('n' must be 1)");
  }

  SamplingParams& s = g.sampling;
  if (auto v = f.number("temperature", 0.0, 2.0)) s.temperature = static_cast<float>(*v);
  if (auto v = f.number("top_p", 0.0, 1.0)) s.top_p = static_cast<float>(*v);
  if (auto v = f.number("presence_penalty", -2.0, 2.0)) s.presence_penalty = static_cast<float>(*v);
  if (auto v = f.number("frequency_penalty", -2.0, 2.0)) s.frequency_penalty = static_cast<float>(*v);
  // llama.cpp's extensions, which its clients send too.
  if (auto v = f.integer("top_k", 0, kMaxInt32)) s.top_k = static_cast<int32_t>(*v);
  if (auto v = f.number("min_p", 0.0, 1.0)) s.min_p = static_cast<float>(*v);
  if (auto v = f.number("repeat_penalty", 0.01, 100.0)) s.repeat_penalty = static_cast<float>(*v);
  parse_seed(f, s);
  parse_logit_bias(f, limits, s);
  g.stops = parse_stops(f, limits);

  // Features that would change the shape of the answer: say so rather than ignore them.
  const json* logprobs = f.get("logprobs");
  if (logprobs != nullptr && ((logprobs->is_boolean() && logprobs->get<bool>()) ||
                              (logprobs->is_number() && logprobs->get<double>() > 0))) {
    throw invalid_field("logprobs", "'logprobs': log probabilities are not supported");
  }
  if (const json* format = f.get("response_format")) {
    const json* type = format->is_object() ? Fields(*format, "response_format.").get("type") : nullptr;
    if (type == nullptr || !type->is_string() || type->get<std::string>() != "text") {
      throw invalid_field("response_format", "'response_format': only type 'text' is supported");
    }
  }
  return g;
}

// The bytes of an image_url part: {"type": "image_url", "image_url": {"url": "data:...;base64,..."}}
// (the url may also be given directly as a string). Only data: URLs: the server fetches nothing.
std::vector<uint8_t> image_bytes(const json& part, const std::string& at) {
  const json* image_url = Fields(part, at + ".").get("image_url");
  const json* url = image_url && image_url->is_object() ? Fields(*image_url, at + ".image_url.").get("url") : image_url;
  if (url == nullptr || !url->is_string()) {
    throw invalid_field(at, fmt::format("'{}.image_url.url' must be a string (a data: URL)", at));
  }
  const std::string_view u = url->get_ref<const std::string&>();
  const size_t comma = u.find(',');
  if (!u.starts_with("data:") || comma == std::string_view::npos) {
    throw invalid_field(at, fmt::format("'{}.image_url.url' must be a data: URL (data:image/png;base64,...); the "
                                        "server does not fetch images",
                                        at));
  }
  if (!u.substr(0, comma).ends_with(";base64")) {
    throw invalid_field(at, fmt::format("'{}.image_url.url' must be base64-encoded (data:...;base64,...)", at));
  }
  std::optional<std::vector<uint8_t>> bytes = base64_decode(u.substr(comma + 1));
  if (!bytes || bytes->empty()) throw invalid_field(at, fmt::format("'{}.image_url.url' is not valid base64", at));
  return std::move(*bytes);
}

// Replaces every image part by a text part holding the image marker and returns the
// images' bytes in order (the order the rendered prompt will show the markers in).
std::vector<std::vector<uint8_t>> take_images(json& messages) {
  std::vector<std::vector<uint8_t>> images;
  for (size_t i = 0; i < messages.size(); ++i) {
    const auto found = messages[i].find("content");
    if (found == messages[i].end() || !found->is_array()) continue;
    json& content = *found;
    for (size_t k = 0; k < content.size(); ++k) {
      json& part = content[k];
      if (part.value("type", "") != "image_url") continue;
      images.push_back(image_bytes(part, fmt::format("messages[{}].content[{}]", i, k)));
      part = json{{"type", "text"}, {"text", std::string(kImageMarker)}};
    }
  }
  return images;
}

const std::vector<std::string_view> kRoles = {"system", "developer", "user", "assistant", "tool"};

void check_message(const json& message, size_t i) {
  const std::string where = fmt::format("messages[{}]", i);
  if (!message.is_object()) throw invalid_field(where, fmt::format("'{}' must be an object, not a {}", where, kind(message)));
  const Fields f(message, where + ".");
  const json* role = f.get("role");
  if (role == nullptr) throw invalid_field(f.path("role"), fmt::format("'{}' is required", f.path("role")));
  if (!role->is_string()) throw f.wrong_type("role", "a string", *role);
  const std::string& r = role->get_ref<const std::string&>();
  if (std::find(kRoles.begin(), kRoles.end(), r) == kRoles.end()) {
    throw invalid_field(f.path("role"), fmt::format("'{}' is '{}'; it must be one of system, developer, user, "
                                                    "assistant, tool",
                                                    f.path("role"), r));
  }
  const json* content = f.get("content");
  if (content == nullptr || content->is_string()) return;
  if (!content->is_array()) throw f.wrong_type("content", "a string or an array of content parts", *content);
  for (size_t k = 0; k < content->size(); ++k) {
    const json& part = (*content)[k];
    const std::string at = fmt::format("{}.content[{}]", where, k);
    const json* type = part.is_object() ? Fields(part, at + ".").get("type") : nullptr;
    if (type == nullptr || !type->is_string()) throw invalid_field(at, fmt::format("'{}' must be an object with a 'type'", at));
    if (type->get<std::string>() == "image_url") {
      image_bytes(part, at);  // validated here, decoded again when the messages are rewritten
      continue;
    }
    if (type->get<std::string>() != "text") {
      throw invalid_field(at, fmt::format("'{}' is of type '{}': only text and image_url parts are supported", at,
                                          type->get<std::string>()));
    }
    const json* text = Fields(part, at + ".").get("text");
    if (text == nullptr || !text->is_string()) throw invalid_field(at, fmt::format("'{}.text' must be a string", at));
  }
}

}  // namespace

json parse_body(std::string_view body, int max_depth) {
  json value;
  try {
    value = json::parse(body, [max_depth](int depth, json::parse_event_t, json&) {
      if (depth > max_depth) throw ApiError(400, fmt::format("the request body is nested deeper than {} levels", max_depth));
      return true;
    });
  } catch (const json::parse_error& e) {
    // "[json.exception.parse_error.101] parse error at line 1, ...": keep what follows the tag.
    std::string what = e.what();
    const size_t tag_end = what.find("] ");
    if (tag_end != std::string::npos) what.erase(0, tag_end + 2);
    throw ApiError(400, "the request body is not valid JSON: " + what);
  }
  if (!value.is_object()) throw ApiError(400, fmt::format("the request body must be a JSON object, not a {}", kind(value)));
  return value;
}

ChatRequest parse_chat_request(std::string_view body, const RequestLimits& limits) {
  const json request = parse_body(body, limits.max_depth);
  const Fields f(request, "");
  ChatRequest chat;
  const json* messages = f.get("messages");
  if (messages == nullptr) throw invalid_field("messages", "'messages' is required");
  if (!messages->is_array()) throw f.wrong_type("messages", "an array", *messages);
  if (messages->empty()) throw invalid_field("messages", "'messages' must not be empty");
  for (size_t i = 0; i < messages->size(); ++i) check_message((*messages)[i], i);
  json with_markers = *messages;
  chat.images = take_images(with_markers);
  try {
    chat.messages = normalize_messages(with_markers);
  } catch (const Error& e) {
    throw invalid_field("messages", e.what());
  }
  if (const json* tools = f.get("tools")) {
    if (!tools->is_array()) throw f.wrong_type("tools", "an array", *tools);
    if (!tools->empty()) chat.tools = *tools;
  }
  if (const json* kwargs = f.get("chat_template_kwargs")) {
    if (!kwargs->is_object()) throw f.wrong_type("chat_template_kwargs", "an object", *kwargs);
    chat.enable_thinking = Fields(*kwargs, "chat_template_kwargs.").boolean("enable_thinking").value_or(false);
  }
  chat.generation = parse_generation(request, limits);
  return chat;
}

CompletionRequest parse_completion_request(std::string_view body, const RequestLimits& limits) {
  const json request = parse_body(body, limits.max_depth);
  const Fields f(request, "");
  CompletionRequest completion;
  const json* prompt = f.get("prompt");
  if (prompt == nullptr) throw invalid_field("prompt", "'prompt' is required");
  const auto ids = [&](const json& list) {
    std::vector<int32_t> out;
    for (const json& v : list) {
      const std::optional<int64_t> id = Fields::as_integer(v);
      if (!id || *id < 0 || *id >= static_cast<int64_t>(limits.n_vocab)) {
        throw invalid_field("prompt", fmt::format("'prompt' token ids must be integers in 0..{}",
                                                  limits.n_vocab == 0 ? 0 : limits.n_vocab - 1));
      }
      out.push_back(static_cast<int32_t>(*id));
    }
    return out;
  };
  if (prompt->is_string()) {
    completion.prompt = prompt->get<std::string>();
  } else if (prompt->is_array() && prompt->size() == 1 && (*prompt)[0].is_string()) {
    completion.prompt = (*prompt)[0].get<std::string>();
  } else if (prompt->is_array() && prompt->size() == 1 && (*prompt)[0].is_array()) {
    completion.prompt = ids((*prompt)[0]);
  } else if (prompt->is_array() && !prompt->empty() && (*prompt)[0].is_number()) {
    completion.prompt = ids(*prompt);
  } else if (prompt->is_array()) {
    throw invalid_field("prompt", "'prompt' must be one string or one list of token ids (batches are not supported)");
  } else {
    throw f.wrong_type("prompt", "a string or an array of token ids", *prompt);
  }
  if (const std::optional<bool> echo = f.boolean("echo"); echo && *echo) {
    throw invalid_field("echo", "'echo': echoing the prompt is not supported");
  }
  completion.generation = parse_generation(request, limits);
  return completion;
}

}  // namespace edgelm::server
