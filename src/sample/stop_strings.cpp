#include "sample/stop_strings.h"

#include <algorithm>

#include "util/error.h"

namespace edgelm {

size_t incomplete_utf8_tail(std::string_view text) {
  for (size_t i = 1; i <= std::min<size_t>(3, text.size()); ++i) {
    const auto b = static_cast<unsigned char>(text[text.size() - i]);
    if ((b & 0xC0) == 0x80) continue;  // continuation byte: look further back
    const size_t need = (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 1;
    return i < need ? i : 0;
  }
  return 0;  // ASCII, complete, or not UTF-8 at all: nothing worth waiting for
}

StopMatcher::StopMatcher(std::vector<std::string> stops) : stops_(std::move(stops)) {
  for (const std::string& s : stops_) {
    if (s.empty()) fail("stop strings must not be empty");
    longest_ = std::max(longest_, s.size());
  }
}

// The longest tail of pending_ that is a proper prefix of some stop string: a stop
// string can only complete later by starting there.
size_t StopMatcher::held_back_length() const {
  if (longest_ == 0) return 0;
  for (size_t len = std::min(pending_.size(), longest_ - 1); len > 0; --len) {
    const std::string_view tail = std::string_view(pending_).substr(pending_.size() - len);
    for (const std::string& s : stops_) {
      if (s.size() > len && std::string_view(s).substr(0, len) == tail) return len;
    }
  }
  return 0;
}

StopMatcher::Step StopMatcher::feed(std::string_view piece) {
  Step step;
  if (stopped_) {
    step.stopped = true;
    return step;
  }
  pending_.append(piece);
  // pending_ held no complete stop string before this piece, so any match found now
  // ends inside the piece; take the earliest end, then the earliest start.
  size_t best_end = std::string::npos, best_pos = 0;
  const std::string* best = nullptr;
  for (const std::string& s : stops_) {
    const size_t pos = pending_.find(s);
    if (pos == std::string::npos) continue;
    const size_t end = pos + s.size();
    if (end < best_end || (end == best_end && pos < best_pos)) {
      best_end = end;
      best_pos = pos;
      best = &s;
    }
  }
  if (best != nullptr) {
    stopped_ = true;
    step.stopped = true;
    step.stop = *best;
    step.text = pending_.substr(0, best_pos);
    pending_.clear();
    return step;
  }
  size_t emit = pending_.size() - held_back_length();
  emit -= incomplete_utf8_tail(std::string_view(pending_).substr(0, emit));
  step.text = pending_.substr(0, emit);
  pending_.erase(0, emit);
  return step;
}

std::string StopMatcher::flush() {
  std::string out;
  out.swap(pending_);
  return out;
}

}  // namespace edgelm
