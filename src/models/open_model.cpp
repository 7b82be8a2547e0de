// open_model(): the one place that knows every architecture edgelm runs.
#include "models/gemma4/gemma4_model.h"
#include "models/llama/llama_model.h"
#include "models/model.h"
#include "models/openelm/openelm_model.h"
#include "util/error.h"

namespace edgelm {

std::unique_ptr<Model> open_model(const std::string& path) {
  GgufFile file = GgufFile::open(path);
  const std::string arch(file.architecture());
  if (arch == "gemma4") return Gemma4Model::open(std::move(file));
  if (arch == "llama") return LlamaModel::open(std::move(file));
  if (arch == "openelm") return OpenElmModel::open(std::move(file));
  fail("{}: architecture '{}' is not supported (edgelm runs: gemma4, llama, openelm)", file.name(), arch.empty() ? "(none)" : arch);
}

}  // namespace edgelm
