#pragma once
// Shared helpers for unit tests: temporary files and paths to the shared test data.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

namespace edgelm::test {

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("edgelm-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// ../shared/testdata beside the source tree (EDGELM_SHARED_DIR overrides).
inline std::filesystem::path shared_testdata() {
  if (const char* env = std::getenv("EDGELM_SHARED_DIR"); env && *env) return std::filesystem::path(env) / "testdata";
  return (std::filesystem::path(EDGELM_SOURCE_DIR) / ".." / "shared" / "testdata").lexically_normal();
}

struct CommandResult {
  int status = -1;  // exit status (128 + signal when killed)
  std::string out;
  std::string err;
};

// Runs `command_line` through the shell, capturing stdout and stderr.
inline CommandResult run_command(const std::string& command_line) {
  TempDir dir;
  const std::string err_file = dir.file("stderr");
  FILE* p = popen((command_line + " 2>" + err_file).c_str(), "r");
  CommandResult r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int raw = pclose(p);
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  const auto err = read_bytes(err_file);
  r.err.assign(err.begin(), err.end());
  return r;
}

}  // namespace edgelm::test
