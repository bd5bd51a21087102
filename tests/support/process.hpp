#pragma once
/// Child processes for integration tests: start an executable, wait (bounded) for its
/// "... listening on URL" line on stdout to learn where it serves, and stop it with SIGTERM,
/// then SIGKILL after a deadline. A started process is always stopped by the destructor, so a
/// failing test never leaves a server behind. Also a bounded "run to completion" helper for
/// client tools such as kubectl.
///
/// Thread safety: a child_process is used by one test thread; its stdout is drained by an
/// internal thread (so a chatty child never blocks on a full pipe).

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace test_support {

class child_process {
public:
    struct options {
        /// The child is ready when a stdout line contains this; the rest of the line is its URL.
        std::string ready_marker = "listening on ";
        std::chrono::milliseconds ready_timeout{30'000};
        std::map<std::string, std::string> env; ///< added to (or replacing in) the environment
    };

    /// Starts `exe args...` and waits for the ready line. On failure returns null and sets
    /// `error` (exec failed, exited early — with its output —, or no ready line in time); the
    /// child is killed and reaped in that case.
    static std::unique_ptr<child_process> start(const std::string& exe,
                                                const std::vector<std::string>& args,
                                                std::string& error, options opts);
    static std::unique_ptr<child_process> start(const std::string& exe,
                                                const std::vector<std::string>& args,
                                                std::string& error)
    {
        return start(exe, args, error, options{});
    }

    ~child_process();
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    /// The URL printed after the marker ("http://127.0.0.1:41234").
    const std::string& url() const { return url_; }
    /// The port of `url()`.
    std::uint16_t port() const { return port_; }
    pid_t pid() const { return pid_; }

    /// SIGTERM, wait up to `grace`, then SIGKILL. Returns the exit code (0..255), or
    /// 128 + signal when killed by a signal. Idempotent.
    int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(10'000));

    /// True while the child has not exited.
    bool running();

    /// Everything the child wrote to stdout so far.
    std::string output() const;

private:
    child_process() = default;
    void drain();

    pid_t pid_ = -1;
    int stdout_fd_ = -1;
    std::string url_;
    std::uint16_t port_ = 0;
    int status_ = -1;
    bool reaped_ = false;
    mutable std::mutex mutex_;
    std::string output_;
    std::thread drainer_;
};

/// The outcome of `run_command`.
struct command_result {
    int exit_code = -1; ///< 128 + signal when killed
    std::string out;
    std::string err;
    bool timed_out = false;
};

/// Runs `argv` (argv[0] is a path or a name looked up in PATH) with `stdin_data` on stdin,
/// capturing stdout and stderr; kills its whole process group after `timeout`.
command_result run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                           const std::string& stdin_data = {},
                           const std::map<std::string, std::string>& env = {});

} // namespace test_support
