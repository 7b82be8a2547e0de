// Image parts of chat requests (OpenAI's image_url with data: URLs): decoded in order,
// replaced in the messages by the image marker, and refused with the part named when
// they are not base64 data: URLs. Base64 decoding itself.
#include <gtest/gtest.h>

#include "server/api_error.h"
#include "server/request.h"
#include "util/base64.h"
#include "vision/image_prompt.h"

namespace edgelm {
namespace {

TEST(Base64, DecodesTheRfcVectorsAndRefusesJunk) {
  auto text = [](std::string_view b64) {
    const auto bytes = base64_decode(b64);
    return bytes ? std::string(bytes->begin(), bytes->end()) : std::string("<invalid>");
  };
  EXPECT_EQ(text(""), "");
  EXPECT_EQ(text("Zg=="), "f");
  EXPECT_EQ(text("Zm8="), "fo");
  EXPECT_EQ(text("Zm9v"), "foo");
  EXPECT_EQ(text("Zm9vYg=="), "foob");
  EXPECT_EQ(text("Zm9vYmE="), "fooba");
  EXPECT_EQ(text("Zm9vYmFy"), "foobar");
  EXPECT_EQ(text("Zm9vYmFy"), text("Zm9vYmFy=="));  // padding is optional
  EXPECT_EQ(text("Zm9v YmFy"), "<invalid>");
  EXPECT_EQ(text("Zm9v*"), "<invalid>");
  EXPECT_EQ(text("Z"), "<invalid>");  // one character cannot end a group
  EXPECT_EQ(base64_decode("+/+/")->size(), 3u);
}

server::ChatRequest parse(const std::string& body) {
  server::RequestLimits limits;
  limits.n_vocab = 1000;
  return server::parse_chat_request(body, limits);
}

TEST(ServerImages, ImagePartsBecomeMarkersAndBytes) {
  const server::ChatRequest r = parse(R"({"messages": [
      {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,Zm9v"}},
                                   {"type": "text", "text": "What is it?"},
                                   {"type": "image_url", "image_url": "data:image/jpeg;base64,YmFy"}]},
      {"role": "assistant", "content": "A thing."}]})");
  ASSERT_EQ(r.images.size(), 2u);
  EXPECT_EQ(std::string(r.images[0].begin(), r.images[0].end()), "foo");
  EXPECT_EQ(std::string(r.images[1].begin(), r.images[1].end()), "bar");
  const auto& parts = r.messages[0]["content"];
  EXPECT_EQ(parts[0]["type"], "text");
  EXPECT_EQ(parts[0]["text"], std::string(kImageMarker));
  EXPECT_EQ(parts[1]["text"], "What is it?");
  EXPECT_EQ(parts[2]["text"], std::string(kImageMarker));
  EXPECT_FALSE(r.messages[1].contains("images"));
  EXPECT_TRUE(parse(R"({"messages": [{"role": "user", "content": "hi"}]})").images.empty());
}

TEST(ServerImages, BadImagePartsNameThePart) {
  for (const char* url : {"https://example.org/a.png", "data:image/png,Zm9v", "data:image/png;base64,@@@",
                          "data:image/png;base64,", "no comma"}) {
    const std::string body = std::string(R"({"messages": [{"role": "user", "content": [{"type": "text", "text": "x"},
        {"type": "image_url", "image_url": {"url": ")") + url + R"("}}]}]})";
    try {
      parse(body);
      FAIL() << url;
    } catch (const server::ApiError& e) {
      EXPECT_EQ(e.status(), 400);
      EXPECT_EQ(e.param(), "messages[0].content[1]") << url;
    }
  }
}

}  // namespace
}  // namespace edgelm
