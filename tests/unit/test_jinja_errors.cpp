// Template errors: every failure is an edgelm::Error naming the line and column of the
// construct at fault in the original text, and no input (malformed, hostile, randomly
// mutated) crashes the engine.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "chat/jinja/template.h"
#include "test_support.h"
#include "util/error.h"

namespace edgelm {
namespace {

std::string error_of(const std::string& source, const nlohmann::ordered_json& vars = nlohmann::ordered_json::object()) {
  try {
    jinja::Template(source).render(vars);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::string read_template(const char* name) {
  std::ifstream in(test::shared_testdata() / "templates" / name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(JinjaErrors, RuntimeErrorsNameLineAndColumn) {
  // Column 8 of line 3: the '|' of the filter that fails.
  EXPECT_EQ(error_of("a\nb\n{{ 'x' | nope }}"), "chat template line 3, column 8: Unknown StringValue filter: nope");
  // The `for` tag starts at column 5 of the original line, even though lstrip_blocks
  // removed its indentation before tokenizing.
  EXPECT_EQ(error_of("line1\n    {% for x in 5 %}{% endfor %}"),
            "chat template line 2, column 5: Expected iterable or object type in for loop: got IntegerValue");
  // Columns count characters, not bytes.
  EXPECT_EQ(error_of("ééé {{ missing.x() }}"),
            "chat template line 1, column 8: Cannot call something that is not a function: got UndefinedValue");
}

TEST(JinjaErrors, SyntaxErrorsNameLineAndColumn) {
  EXPECT_EQ(error_of("{% if x %}\n{% endfor %}"), "chat template line 2, column 4: unexpected 'endfor' (no open block it belongs to)");
  EXPECT_EQ(error_of("x\n{{ a ! b }}"), "chat template line 2, column 6: unexpected character '!'");
  EXPECT_EQ(error_of("{{ 'abc }}"), "chat template line 1, column 4: string literal is not closed");
  EXPECT_EQ(error_of("ok {# open"), "chat template line 1, column 4: comment is not closed with '#}'");
  EXPECT_EQ(error_of("{{ [1, 2 }}"), "chat template line 1, column 10: unexpected '}}'");
}

TEST(JinjaErrors, UnsupportedFeaturesSaySo) {
  for (const char* source : {"{% include 'x' %}", "{% extends 'base' %}", "{% block b %}{% endblock %}",
                             "{% raw %}{% endraw %}", "{% with a = 1 %}{% endwith %}"}) {
    const std::string e = error_of(source);
    EXPECT_NE(e.find("unsupported statement"), std::string::npos) << source << ": " << e;
  }
  EXPECT_NE(error_of("{{ [1] | map('string') | list }}").find("unsupported"), std::string::npos);
  EXPECT_NE(error_of("{{ {'b': 1} | tojson(sort_keys=true) }}").find("unsupported"), std::string::npos);
}

TEST(JinjaErrors, RaiseExceptionCarriesTheTemplatesMessage) {
  EXPECT_EQ(error_of("{{ raise_exception('Only user and assistant roles are supported!') }}"),
            "chat template line 1, column 4: raise_exception: Only user and assistant roles are supported!");
}

TEST(JinjaErrors, HostileNestingIsAnErrorNotAStackOverflow) {
  const std::string deep = std::string(100000, '(');
  EXPECT_NE(error_of("{{ " + deep + "1 }}").find("nests too deeply"), std::string::npos);
  std::string ifs;
  for (int i = 0; i < 5000; ++i) ifs += "{% if true %}";
  EXPECT_NE(error_of(ifs).find("nests too deeply"), std::string::npos);
  std::string nots = "{{ ", minuses = "{{ ";
  for (int i = 0; i < 5000; ++i) {
    nots += "not ";
    minuses += "- ";
  }
  EXPECT_NE(error_of(nots + "1 }}").find("nests too deeply"), std::string::npos);
  EXPECT_NE(error_of(minuses + "1 }}").find("nests too deeply"), std::string::npos);
  EXPECT_NE(error_of("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}").find("recursion is too deep"),
            std::string::npos);
  // Deeply nested input data.
  nlohmann::ordered_json data = 1;
  for (int i = 0; i < 2000; ++i) data = nlohmann::ordered_json::array({data});
  EXPECT_NE(error_of("{{ d }}", {{"d", data}}).find("nests too deeply"), std::string::npos);
}

TEST(JinjaErrors, SelfReferencingNamespaceIsAnError) {
  // The namespace holds itself; printing it would recurse forever. (Under ASan this
  // also checks that the cycle is broken after rendering: no leak.)
  const std::string e = error_of("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}");
  EXPECT_NE(e.find("nests too deeply"), std::string::npos) << e;
}

// Random edits of real chat templates and of small feature templates must parse and
// render or fail with an edgelm::Error: never crash, hang or throw anything else.
TEST(JinjaErrors, RandomlyMutatedTemplatesNeverCrash) {
  std::vector<std::string> seeds = {read_template("google-gemma-4-E2B-it.jinja"),
                                    read_template("meta-llama-Llama-3.2-3B-Instruct.jinja"),
                                    "{% for m in messages %}{{ m.role | upper }}: {{ m.content | trim }}{% endfor %}",
                                    "{% set ns = namespace(a=[]) %}{% macro f(x, y=2) %}{{ x ~ y }}{% endmacro %}"
                                    "{{ f(1) }}{{ {'a': [1, 2.5]} | tojson(indent=2) }}{{ 'abc'[::-1] }}"};
  ASSERT_FALSE(seeds[0].empty());
  const auto vars = nlohmann::ordered_json::parse(R"({
    "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": [{"type": "text", "text": "hi"}]},
                 {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}]},
                 {"role": "tool", "content": "r"}],
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object",
               "properties": {"a": {"type": "integer"}}}}}],
    "bos_token": "<bos>", "add_generation_prompt": true})");
  // Template syntax, plain characters and bytes that are not UTF-8 on their own.
  const std::string alphabet = "{}%#-()[]'\"|.,:~+*/=<>! \n\tabz019_\xC0\xE2\xFF\x80";
  std::mt19937 rng(1234);
  size_t rendered = 0, failed = 0;
  for (int iter = 0; iter < 1200; ++iter) {
    std::string s = seeds[static_cast<size_t>(iter) % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      const size_t pos = rng() % s.size();
      switch (rng() % 4) {
        case 0: s.erase(pos, 1 + rng() % 8); break;
        case 1: s.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
        case 2: s[pos] = alphabet[rng() % alphabet.size()]; break;
        default: {
          const size_t len = std::min<size_t>(1 + rng() % 40, s.size() - pos);
          s.insert(rng() % s.size(), s.substr(pos, len));
        }
      }
    }
    try {
      jinja::Template(s).render(vars);
      ++rendered;
    } catch (const Error&) {
      ++failed;
    }
  }
  // Both outcomes occur, so the mutations exercise the renderer as well as the parser.
  EXPECT_GT(rendered, 50u);
  EXPECT_GT(failed, 50u);
}

}  // namespace
}  // namespace edgelm
