#include "sim/api/kubeconfig_writer.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

namespace fedsim::api {

std::string base64_encode(std::string_view data)
{
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    while (i + 3 <= data.size()) {
        auto n = (static_cast<unsigned char>(data[i]) << 16) |
                 (static_cast<unsigned char>(data[i + 1]) << 8) |
                 static_cast<unsigned char>(data[i + 2]);
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
        out += alphabet[n & 63];
        i += 3;
    }
    if (auto rest = data.size() - i; rest > 0) {
        unsigned n = static_cast<unsigned char>(data[i]) << 16;
        if (rest == 2) {
            n |= static_cast<unsigned char>(data[i + 1]) << 8;
        }
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += rest == 2 ? alphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::string render_kubeconfig(std::string_view server_url, std::string_view ca_pem,
                              std::string_view token)
{
    // Values are emitted as double-quoted YAML scalars; none of them can hold a quote or a
    // backslash we did not generate except the token, which is escaped.
    std::string escaped_token;
    for (char c : token) {
        if (c == '"' || c == '\\') {
            escaped_token += '\\';
        }
        escaped_token += c;
    }
    std::string out;
    out += "apiVersion: v1\n";
    out += "kind: Config\n";
    out += "clusters:\n";
    out += "- name: fedsim\n";
    out += "  cluster:\n";
    out += "    server: \"" + std::string(server_url) + "\"\n";
    if (!ca_pem.empty()) {
        out += "    certificate-authority-data: " + base64_encode(ca_pem) + "\n";
    }
    out += "users:\n";
    out += "- name: fedsim\n";
    if (token.empty()) {
        out += "  user: {}\n";
    } else {
        out += "  user:\n";
        out += "    token: \"" + escaped_token + "\"\n";
    }
    out += "contexts:\n";
    out += "- name: fedsim\n";
    out += "  context:\n";
    out += "    cluster: fedsim\n";
    out += "    user: fedsim\n";
    out += "current-context: fedsim\n";
    return out;
}

std::string write_kubeconfig(const std::filesystem::path& path, std::string_view server_url,
                             std::string_view ca_pem, std::string_view token)
{
    auto tmp = path;
    tmp += ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f) {
            return "cannot write kubeconfig " + tmp.string() + ": " + std::strerror(errno);
        }
        f << render_kubeconfig(server_url, ca_pem, token);
        if (!f.flush()) {
            return "cannot write kubeconfig " + tmp.string();
        }
    }
    std::error_code ec;
    std::filesystem::permissions(tmp, std::filesystem::perms::owner_read |
                                          std::filesystem::perms::owner_write,
                                 ec);
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        return "cannot write kubeconfig " + path.string() + ": " + ec.message();
    }
    return {};
}

} // namespace fedsim::api
