#pragma once
// Where the CLI finds the project's shared test data when the user names none.
#include <string>

namespace edgelm::cli {

// Path of `file` in the vocab directory: $EDGELM_VOCAB_DIR if set, else the
// ../shared/testdata/vocab directory beside the source tree this binary was built
// from. Throws a clear error suggesting --vocab when it does not exist.
std::string default_vocab_path(const std::string& file);

// Path of `file` in the chat template directory (testdata/templates beside the vocab
// directory: $EDGELM_VOCAB_DIR/../templates if set). Throws a clear error suggesting
// `option` when it does not exist.
std::string default_template_path(const std::string& file, const std::string& option);

}  // namespace edgelm::cli
