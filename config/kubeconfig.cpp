#include "config/kubeconfig.hpp"

#include "config/base64.hpp"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace config {

namespace {

constexpr std::size_t max_file_bytes = 16 * 1024 * 1024;

struct named_entry {
    std::string name;
    YAML::Node body;
    std::string path;  ///< "clusters[2]"
};

/// Reads a list of `{name, <body_key>: {...}}` entries, reporting malformed ones.
std::vector<named_entry> read_entries(const YAML::Node& root, const std::string& list,
                                      const std::string& body_key,
                                      std::vector<config_error>& errors) {
    std::vector<named_entry> out;
    const YAML::Node node = root[list];
    if (!node || node.IsNull()) {
        return out;
    }
    if (!node.IsSequence()) {
        errors.push_back({list, "must be a list"});
        return out;
    }
    for (std::size_t i = 0; i < node.size(); ++i) {
        const std::string path = list + "[" + std::to_string(i) + "]";
        const YAML::Node item = node[i];
        if (!item.IsMap()) {
            errors.push_back({path, "must be a mapping"});
            continue;
        }
        named_entry e;
        e.path = path;
        if (!item["name"] || !item["name"].IsScalar() || item["name"].Scalar().empty()) {
            errors.push_back({path + ".name", "required"});
            continue;
        }
        e.name = item["name"].Scalar();
        e.body = item[body_key];
        if (e.body && !e.body.IsNull() && !e.body.IsMap()) {
            errors.push_back({path + "." + body_key, "must be a mapping"});
            continue;
        }
        out.push_back(std::move(e));
    }
    return out;
}

const named_entry* find_entry(const std::vector<named_entry>& list, const std::string& name) {
    for (const auto& e : list) {
        if (e.name == name) {
            return &e;
        }
    }
    return nullptr;
}

std::string scalar(const YAML::Node& body, const char* key, const std::string& path,
                   std::vector<config_error>& errors) {
    if (!body) {
        return {};
    }
    const YAML::Node v = body[key];
    if (!v || v.IsNull()) {
        return {};
    }
    if (!v.IsScalar()) {
        errors.push_back({path.empty() ? std::string(key) : path + "." + key, "must be a string"});
        return {};
    }
    return v.Scalar();
}

std::string resolve(const std::string& base_dir, const std::string& file) {
    if (file.empty() || file.front() == '/' || base_dir.empty()) {
        return file;
    }
    return (std::filesystem::path(base_dir) / file).string();
}

/// One credential that may be given inline (`<key>-data`, base64) or as a file (`<key>`).
std::string data_or_file(const YAML::Node& body, const std::string& path, const char* data_key,
                         const char* file_key, const std::string& base_dir, const file_reader& read,
                         std::vector<config_error>& errors) {
    const std::string data = scalar(body, data_key, path, errors);
    const std::string file = scalar(body, file_key, path, errors);
    if (!data.empty() && !file.empty()) {
        errors.push_back({path + "." + data_key,
                          std::string("both ") + data_key + " and " + file_key + " are set"});
        return {};
    }
    if (!data.empty()) {
        auto decoded = base64_decode(data);
        if (!decoded) {
            errors.push_back({path + "." + data_key, "invalid base64"});
            return {};
        }
        return *decoded;
    }
    if (!file.empty()) {
        const std::string full = resolve(base_dir, file);
        auto content = read(full);
        if (!content) {
            errors.push_back({path + "." + file_key, "cannot read file \"" + full + "\""});
            return {};
        }
        return *content;
    }
    return {};
}

bool parse_bool(const YAML::Node& body, const char* key, const std::string& path,
                std::vector<config_error>& errors) {
    if (!body || !body[key] || body[key].IsNull()) {
        return false;
    }
    const std::string v = body[key].IsScalar() ? body[key].Scalar() : std::string();
    if (v == "true") {
        return true;
    }
    if (v != "false") {
        errors.push_back({path + "." + key, "must be true or false"});
    }
    return false;
}

}  // namespace

file_reader filesystem_reader() {
    return [](const std::string& path) -> std::optional<std::string> {
        std::error_code ec;
        const auto size = std::filesystem::file_size(path, ec);
        if (ec || size > max_file_bytes) {
            return std::nullopt;
        }
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            return std::nullopt;
        }
        std::ostringstream ss;
        ss << in.rdbuf();
        return ss.str();
    };
}

kubeconfig_result parse_kubeconfig(const std::string& yaml_text, const std::string& base_dir,
                                   const std::string& context) {
    return parse_kubeconfig(yaml_text, base_dir, context, filesystem_reader());
}

kubeconfig_result parse_kubeconfig(const std::string& yaml_text, const std::string& base_dir,
                                   const std::string& context, const file_reader& read) {
    kubeconfig_result result;
    auto& errors = result.errors;
    YAML::Node root;
    try {
        root = YAML::Load(yaml_text);
    } catch (const YAML::Exception& e) {
        errors.push_back(
            {"", "not valid YAML: " + e.msg + " at line " + std::to_string(e.mark.line + 1)});
        return result;
    }
    if (!root.IsMap()) {
        errors.push_back({"", "must be a YAML mapping (a kubeconfig)"});
        return result;
    }
    const auto clusters = read_entries(root, "clusters", "cluster", errors);
    const auto users = read_entries(root, "users", "user", errors);
    const auto contexts = read_entries(root, "contexts", "context", errors);

    std::string chosen = context;
    std::string chosen_path = "context";
    if (chosen.empty()) {
        chosen = scalar(root, "current-context", "", errors);
        chosen_path = "current-context";
    }
    if (chosen.empty() && contexts.size() == 1) {
        chosen = contexts.front().name;
    }
    if (chosen.empty()) {
        errors.push_back({"current-context", contexts.empty()
                                                 ? "no contexts defined"
                                                 : "not set and there is more than one context"});
        return result;
    }
    const named_entry* ctx = find_entry(contexts, chosen);
    if (ctx == nullptr) {
        errors.push_back({chosen_path, "context \"" + chosen + "\" not found"});
        return result;
    }
    const std::string ctx_path = ctx->path + ".context";
    const std::string cluster_name = scalar(ctx->body, "cluster", ctx_path, errors);
    const std::string user_name = scalar(ctx->body, "user", ctx_path, errors);

    api_endpoint ep;
    ep.context_name = chosen;
    const named_entry* cluster = find_entry(clusters, cluster_name);
    if (cluster_name.empty()) {
        errors.push_back({ctx_path + ".cluster", "required"});
    } else if (cluster == nullptr) {
        errors.push_back({ctx_path + ".cluster", "cluster \"" + cluster_name + "\" not found"});
    } else {
        const std::string p = cluster->path + ".cluster";
        ep.server = scalar(cluster->body, "server", p, errors);
        if (ep.server.empty()) {
            errors.push_back({p + ".server", "required"});
        } else if (ep.server.rfind("https://", 0) != 0 && ep.server.rfind("http://", 0) != 0) {
            errors.push_back({p + ".server", "must start with https:// or http://"});
        }
        ep.ca_pem = data_or_file(cluster->body, p, "certificate-authority-data",
                                 "certificate-authority", base_dir, read, errors);
        ep.insecure_skip_tls_verify =
            parse_bool(cluster->body, "insecure-skip-tls-verify", p, errors);
        ep.tls_server_name = scalar(cluster->body, "tls-server-name", p, errors);
        if (ep.insecure_skip_tls_verify && !ep.ca_pem.empty()) {
            errors.push_back({p + ".insecure-skip-tls-verify",
                              "cannot be combined with a certificate authority"});
        }
    }

    // A context without a user is legal (anonymous access, e.g. a plain-HTTP simulator).
    if (!user_name.empty()) {
        const named_entry* user = find_entry(users, user_name);
        if (user == nullptr) {
            errors.push_back({ctx_path + ".user", "user \"" + user_name + "\" not found"});
        } else {
            const std::string p = user->path + ".user";
            ep.client_cert_pem = data_or_file(user->body, p, "client-certificate-data",
                                              "client-certificate", base_dir, read, errors);
            ep.client_key_pem = data_or_file(user->body, p, "client-key-data", "client-key",
                                             base_dir, read, errors);
            if (ep.client_cert_pem.empty() != ep.client_key_pem.empty()) {
                errors.push_back({p, "client certificate and client key must be given together"});
            }
            const std::string token = scalar(user->body, "token", p, errors);
            const std::string token_file = scalar(user->body, "tokenFile", p, errors);
            if (!token.empty()) {
                ep.bearer_token = token;
            } else if (!token_file.empty()) {
                const std::string full = resolve(base_dir, token_file);
                auto content = read(full);
                if (!content) {
                    errors.push_back({p + ".tokenFile", "cannot read file \"" + full + "\""});
                } else {
                    // Token files conventionally end with a newline that is not part of it.
                    while (!content->empty() &&
                           (content->back() == '\n' || content->back() == '\r')) {
                        content->pop_back();
                    }
                    ep.bearer_token = *content;
                }
            }
            ep.username = scalar(user->body, "username", p, errors);
            ep.password = scalar(user->body, "password", p, errors);
            for (const char* unsupported : {"exec", "auth-provider"}) {
                if (user->body && user->body[unsupported]) {
                    errors.push_back({p + "." + unsupported, "not supported"});
                }
            }
        }
    }
    if (errors.empty()) {
        result.endpoint = std::move(ep);
    }
    return result;
}

kubeconfig_result load_kubeconfig(const std::string& path, const std::string& context) {
    auto read = filesystem_reader();
    auto text = read(path);
    if (!text) {
        kubeconfig_result r;
        r.errors.push_back({path, "cannot read kubeconfig file"});
        return r;
    }
    return parse_kubeconfig(*text, std::filesystem::path(path).parent_path().string(), context,
                            read);
}

std::string render_kubeconfig(const api_endpoint& endpoint, const std::string& name) {
    YAML::Emitter out;
    out << YAML::BeginMap;
    out << YAML::Key << "apiVersion" << YAML::Value << "v1";
    out << YAML::Key << "kind" << YAML::Value << "Config";
    out << YAML::Key << "clusters" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << name;
    out << YAML::Key << "cluster" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "server" << YAML::Value << endpoint.server;
    if (!endpoint.ca_pem.empty()) {
        out << YAML::Key << "certificate-authority-data" << YAML::Value
            << base64_encode(endpoint.ca_pem);
    }
    if (endpoint.insecure_skip_tls_verify) {
        out << YAML::Key << "insecure-skip-tls-verify" << YAML::Value << true;
    }
    if (!endpoint.tls_server_name.empty()) {
        out << YAML::Key << "tls-server-name" << YAML::Value << endpoint.tls_server_name;
    }
    out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;

    out << YAML::Key << "users" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << name;
    out << YAML::Key << "user" << YAML::Value << YAML::BeginMap;
    if (!endpoint.client_cert_pem.empty()) {
        out << YAML::Key << "client-certificate-data" << YAML::Value
            << base64_encode(endpoint.client_cert_pem);
    }
    if (!endpoint.client_key_pem.empty()) {
        out << YAML::Key << "client-key-data" << YAML::Value
            << base64_encode(endpoint.client_key_pem);
    }
    if (!endpoint.bearer_token.empty()) {
        out << YAML::Key << "token" << YAML::Value << endpoint.bearer_token;
    }
    if (!endpoint.username.empty()) {
        out << YAML::Key << "username" << YAML::Value << endpoint.username;
        out << YAML::Key << "password" << YAML::Value << endpoint.password;
    }
    out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;

    out << YAML::Key << "contexts" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << name;
    out << YAML::Key << "context" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "cluster" << YAML::Value << name;
    out << YAML::Key << "user" << YAML::Value << name;
    out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
    out << YAML::Key << "current-context" << YAML::Value << name;
    out << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

}  // namespace config
