#pragma once
// Stop strings over streamed text: pieces of detokenized output arrive one by one and
// a stop string may span several of them. The matcher releases text as soon as it
// cannot be part of a stop string, holds back a tail that could still become one, and
// reports the first stop string to complete, dropping it and everything after it.
//
// "First" means the stop string that ends earliest in the text (then the one that
// starts earliest), so the result does not depend on how the text was split into
// pieces. Released text never ends inside a UTF-8 character (a streamed chunk can go
// straight into JSON); the rest comes out with the next piece or flush().
#include <string>
#include <string_view>
#include <vector>

namespace edgelm {

class StopMatcher {
 public:
  struct Step {
    std::string text;       // safe to emit now
    bool stopped = false;   // a stop string completed: `text` is everything before it
    std::string stop;       // which one
  };

  // Throws edgelm::Error on an empty stop string. No stop strings: text passes through
  // (whole UTF-8 characters at a time).
  explicit StopMatcher(std::vector<std::string> stops);

  // Once stopped, further pieces are ignored (empty text, stopped stays true).
  Step feed(std::string_view piece);
  // The held-back tail at the end of generation (empty after a stop).
  std::string flush();

  bool stopped() const { return stopped_; }

 private:
  size_t held_back_length() const;

  std::vector<std::string> stops_;
  size_t longest_ = 0;
  std::string pending_;
  bool stopped_ = false;
};

// Bytes at the end of `text` that start a UTF-8 character whose remaining bytes have
// not arrived yet (0..3).
size_t incomplete_utf8_tail(std::string_view text);

}  // namespace edgelm
