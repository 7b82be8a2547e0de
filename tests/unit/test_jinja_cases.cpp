// Jinja language features rendered exactly as @huggingface/jinja renders them. The
// cases and their expected outputs live in tests/chat/jinja_cases.json: the outputs
// were produced by the reference (tests/oracle/chat_reference.mjs) and the oracle test
// re-checks them against it, so they are not hand-written guesses.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "chat/jinja/template.h"
#include "util/error.h"

namespace edgelm {
namespace {

nlohmann::ordered_json load_cases() {
  const auto path = std::filesystem::path(EDGELM_SOURCE_DIR) / "tests" / "chat" / "jinja_cases.json";
  std::ifstream in(path);
  return nlohmann::ordered_json::parse(in).at("cases");
}

std::string render(const nlohmann::ordered_json& c) {
  const auto vars = c.contains("variables") ? c["variables"] : nlohmann::ordered_json::object();
  return jinja::Template(c["template"].get<std::string>()).render(vars);
}

TEST(JinjaCases, RenderLikeTheReference) {
  const auto cases = load_cases();
  size_t checked = 0;
  for (const auto& c : cases) {
    EXPECT_TRUE(c.contains("expected") || c.contains("error")) << c["name"] << " has no expectation";
    if (!c.contains("expected")) continue;
    SCOPED_TRACE(c["name"].get<std::string>());
    try {
      EXPECT_EQ(render(c), c["expected"].get<std::string>());
    } catch (const Error& e) {
      ADD_FAILURE() << "threw: " << e.what();
    }
    ++checked;
  }
  EXPECT_GE(checked, 80u);
}

TEST(JinjaCases, FailWhereTheReferenceFails) {
  const auto cases = load_cases();
  size_t checked = 0;
  for (const auto& c : cases) {
    if (!c.contains("error")) continue;
    SCOPED_TRACE(c["name"].get<std::string>());
    try {
      const std::string out = render(c);
      ADD_FAILURE() << "rendered " << out;
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.rfind("chat template", 0), 0u) << message;
      EXPECT_NE(message.find(c["error"].get<std::string>()), std::string::npos) << message;
    }
    ++checked;
  }
  EXPECT_GE(checked, 20u);
}

}  // namespace
}  // namespace edgelm
