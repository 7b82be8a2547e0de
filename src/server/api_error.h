#pragma once
// An error the API reports to its client: an HTTP status and OpenAI's error object,
//   {"error": {"message": ..., "type": ..., "param": ..., "code": ...}}
// which the official clients turn into their typed exceptions.
#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

namespace edgelm::server {

class ApiError : public std::runtime_error {
 public:
  // `param`: the request field at fault ("" = none); `code`: a machine-readable
  // reason such as "context_length_exceeded" ("" = none).
  ApiError(int status, const std::string& message, std::string param = "", std::string code = "");

  int status() const { return status_; }
  const std::string& param() const { return param_; }
  const std::string& code() const { return code_; }
  // OpenAI's error types: "invalid_request_error" (4xx), "authentication_error"
  // (401), "not_found_error" (404), "server_error" (5xx).
  std::string type() const;

  nlohmann::json body() const;

 private:
  int status_;
  std::string param_, code_;
};

// A 400 for a field of the request.
ApiError invalid_field(const std::string& param, const std::string& message);

}  // namespace edgelm::server
