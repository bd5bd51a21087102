#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace fedsim::api {

/// A kubeconfig (YAML) with one cluster/user/context named "fedsim" pointing at `server_url`;
/// `ca_pem` (when not empty) becomes certificate-authority-data, `token` the user's bearer
/// token. Usable by kubectl and the Python client.
/// Thread safety: pure function.
std::string render_kubeconfig(std::string_view server_url, std::string_view ca_pem,
                              std::string_view token);

/// Writes `render_kubeconfig(...)` to `path` (mode 0600, replacing atomically via a temporary
/// file). Returns "" or an error message naming the file.
std::string write_kubeconfig(const std::filesystem::path& path, std::string_view server_url,
                             std::string_view ca_pem, std::string_view token);

/// RFC 4648 base64 with padding.
/// Thread safety: pure function.
std::string base64_encode(std::string_view data);

} // namespace fedsim::api
