#pragma once
// Shared by the fedsim_*_test.cpp files: start the real fedsim executable and talk plain HTTP
// to it over loopback (a tiny blocking client; every read has a deadline).

#include "tests/support/process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fedsim_test {

inline constexpr int io_deadline_ms = 15'000;

inline std::string fedsim_exe()
{
#ifdef FEDSIM_EXE
    return FEDSIM_EXE;
#else
    return "";
#endif
}

/// A fresh private directory under the test temp dir, removed by the destructor.
struct temp_dir {
    std::filesystem::path path;
    temp_dir()
    {
        auto base = std::filesystem::temp_directory_path();
        for (int i = 0;; ++i) {
            path = base / ("fedsim-test-" + std::to_string(::getpid()) + "-" + std::to_string(i));
            if (std::filesystem::create_directory(path)) {
                break;
            }
        }
    }
    ~temp_dir()
    {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

struct http_reply {
    unsigned status = 0;
    std::string head;
    std::string body;
    bool ok = false; ///< a complete response arrived
};

/// Decodes a chunked body (best effort; stops at the last complete chunk).
inline std::string dechunk(const std::string& raw)
{
    std::string out;
    std::size_t pos = 0;
    while (pos < raw.size()) {
        auto eol = raw.find("\r\n", pos);
        if (eol == std::string::npos) {
            break;
        }
        auto size = std::stoul(raw.substr(pos, eol - pos), nullptr, 16);
        if (size == 0 || eol + 2 + size > raw.size()) {
            break;
        }
        out += raw.substr(eol + 2, size);
        pos = eol + 2 + size + 2;
    }
    return out;
}

/// Opens a connection to 127.0.0.1:port; -1 on failure.
inline int connect_loopback(std::uint16_t port)
{
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

inline bool send_all(int fd, const std::string& data)
{
    std::size_t off = 0;
    while (off < data.size()) {
        auto n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n <= 0) {
            return false;
        }
        off += static_cast<std::size_t>(n);
    }
    return true;
}

/// Reads until EOF, `until` appears, or the deadline.
inline std::string read_some(int fd, const std::string& until = {}, int deadline_ms = io_deadline_ms)
{
    std::string out;
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms);
    while (until.empty() || out.find(until) == std::string::npos) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        end - std::chrono::steady_clock::now())
                        .count();
        if (left <= 0) {
            break;
        }
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) {
            break;
        }
        char buf[16384];
        auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            break;
        }
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

inline http_reply parse_reply(const std::string& raw)
{
    http_reply r;
    auto end = raw.find("\r\n\r\n");
    if (end == std::string::npos || raw.size() < 12) {
        return r;
    }
    r.head = raw.substr(0, end);
    r.status = static_cast<unsigned>(std::stoi(raw.substr(9, 3)));
    std::string body = raw.substr(end + 4);
    std::string lower = r.head;
    for (auto& c : lower) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    r.body = lower.find("transfer-encoding: chunked") != std::string::npos ? dechunk(body) : body;
    r.ok = true;
    return r;
}

/// One request on a fresh connection (Connection: close), the whole answer read to EOF.
inline http_reply http(std::uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body = {},
                       const std::map<std::string, std::string>& headers = {})
{
    int fd = connect_loopback(port);
    if (fd < 0) {
        return {};
    }
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    bool has_type = false;
    for (const auto& [k, v] : headers) {
        req += k + ": " + v + "\r\n";
        has_type = has_type || k == "Content-Type";
    }
    if (!body.empty() && !has_type) {
        req += "Content-Type: application/json\r\n";
    }
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    send_all(fd, req);
    auto raw = read_some(fd);
    ::close(fd);
    return parse_reply(raw);
}

/// Starts `fedsim --listen 127.0.0.1:0 <args>`; skips the test with a reason when the
/// executable is missing, fails it when fedsim does not become ready.
inline std::unique_ptr<test_support::child_process> start_fedsim(std::vector<std::string> args)
{
    auto exe = fedsim_exe();
    if (exe.empty() || !std::filesystem::exists(exe)) {
        return nullptr;
    }
    args.insert(args.begin(), {"--listen", "127.0.0.1:0"});
    std::string error;
    auto child = test_support::child_process::start(exe, args, error);
    EXPECT_TRUE(child) << error;
    return child;
}

/// A Job (labels team=<team>) and its policy placing it on `clusters` (Duplicated), created
/// directly in the control plane as any Karmada user would; `pod_annotations` go on its pod
/// template (fedsim.io/run-seconds, fedsim.io/outcome).
inline void create_job(std::uint16_t fedsim_port, const std::string& name, const std::string& team,
                       const nlohmann::json& clusters,
                       const nlohmann::json& pod_annotations = nlohmann::json::object())
{
    using nlohmann::json;
    json job = {{"apiVersion", "batch/v1"},
                {"kind", "Job"},
                {"metadata", {{"name", name}, {"namespace", "default"}, {"labels", {{"team", team}}}}},
                {"spec",
                 {{"parallelism", 1},
                  {"completions", 1},
                  {"template",
                   {{"metadata", {{"labels", {{"team", team}}}, {"annotations", pod_annotations}}},
                    {"spec",
                     {{"restartPolicy", "Never"},
                      {"containers",
                       json::array({{{"name", "main"}, {"image", "busybox"},
                                     {"resources", {{"limits", {{"cpu", "1"}}}}}}})}}}}}}}};
    json policy = {
        {"apiVersion", "policy.karmada.io/v1alpha1"},
        {"kind", "PropagationPolicy"},
        {"metadata", {{"name", name + "-pp"}, {"namespace", "default"}}},
        {"spec",
         {{"resourceSelectors",
           json::array({{{"apiVersion", "batch/v1"}, {"kind", "Job"}, {"name", name}}})},
          {"placement", {{"clusterAffinity", {{"clusterNames", clusters}}}}}}}};
    auto p = fedsim_test::http(fedsim_port, "POST",
                               "/apis/policy.karmada.io/v1alpha1/namespaces/default/"
                               "propagationpolicies",
                               policy.dump());
    EXPECT_EQ(p.status, 201u) << p.body;
    auto j = fedsim_test::http(fedsim_port, "POST", "/apis/batch/v1/namespaces/default/jobs",
                               job.dump());
    EXPECT_EQ(j.status, 201u) << j.body;
}

} // namespace fedsim_test

#define FEDSIM_START_OR_SKIP(var, ...)                                                        \
    auto var = ::fedsim_test::start_fedsim(__VA_ARGS__);                                      \
    if (!var) {                                                                               \
        if (::fedsim_test::fedsim_exe().empty() ||                                            \
            !std::filesystem::exists(::fedsim_test::fedsim_exe())) {                          \
            GTEST_SKIP() << "fedsim executable not built: " << ::fedsim_test::fedsim_exe();   \
        }                                                                                     \
        return;                                                                               \
    }
