#include "tests/support/process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace test_support {

namespace {

using clock_type = std::chrono::steady_clock;

std::vector<std::string> merged_environment(const std::map<std::string, std::string>& extra)
{
    std::vector<std::string> out;
    for (char** e = environ; *e; ++e) {
        std::string entry(*e);
        auto eq = entry.find('=');
        if (eq != std::string::npos && extra.count(entry.substr(0, eq))) {
            continue;
        }
        out.push_back(std::move(entry));
    }
    for (const auto& [k, v] : extra) {
        out.push_back(k + "=" + v);
    }
    return out;
}

/// fork + exec with the given pipes as stdin/stdout/stderr (-1: inherit). The child gets its
/// own process group so that everything it spawns can be signalled together.
pid_t spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            int in_fd, int out_fd, int err_fd, const std::vector<int>& close_fds)
{
    std::vector<std::string> envs = merged_environment(env);
    std::vector<char*> cargv;
    for (const auto& a : argv) {
        cargv.push_back(const_cast<char*>(a.c_str()));
    }
    cargv.push_back(nullptr);
    std::vector<char*> cenv;
    for (const auto& e : envs) {
        cenv.push_back(const_cast<char*>(e.c_str()));
    }
    cenv.push_back(nullptr);

    pid_t pid = ::fork();
    if (pid != 0) {
        return pid;
    }
    ::setpgid(0, 0);
    if (in_fd >= 0) {
        ::dup2(in_fd, 0);
    }
    if (out_fd >= 0) {
        ::dup2(out_fd, 1);
    }
    if (err_fd >= 0) {
        ::dup2(err_fd, 2);
    }
    for (int fd : close_fds) {
        if (fd > 2) {
            ::close(fd);
        }
    }
    ::signal(SIGPIPE, SIG_DFL);
    ::execvpe(cargv[0], cargv.data(), cenv.data());
    const char msg[] = "exec failed\n";
    (void)!::write(2, msg, sizeof msg - 1);
    ::_exit(127);
}

int decode_status(int status)
{
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return -1;
}

/// Waits for `pid` up to `deadline`; true when reaped.
bool wait_until(pid_t pid, clock_type::time_point deadline, int& status)
{
    for (;;) {
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            return true;
        }
        if (r < 0 && errno != EINTR) {
            status = 0;
            return true;
        }
        if (clock_type::now() >= deadline) {
            return false;
        }
        ::usleep(10'000);
    }
}

} // namespace

std::unique_ptr<child_process> child_process::start(const std::string& exe,
                                                    const std::vector<std::string>& args,
                                                    std::string& error, options opts)
{
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) {
        error = std::string("pipe: ") + std::strerror(errno);
        return nullptr;
    }
    std::vector<std::string> argv = {exe};
    argv.insert(argv.end(), args.begin(), args.end());
    std::unique_ptr<child_process> child(new child_process());
    child->pid_ = spawn(argv, opts.env, -1, out[1], -1, {out[0]});
    ::close(out[1]);
    child->stdout_fd_ = out[0];
    if (child->pid_ < 0) {
        error = std::string("fork: ") + std::strerror(errno);
        ::close(out[0]);
        return nullptr;
    }

    const auto deadline = clock_type::now() + opts.ready_timeout;
    std::string buffer;
    for (;;) {
        auto nl = buffer.find('\n');
        while (nl != std::string::npos) {
            std::string line = buffer.substr(0, nl);
            buffer.erase(0, nl + 1);
            child->output_ += line + "\n";
            auto at = line.find(opts.ready_marker);
            if (at != std::string::npos) {
                child->url_ = line.substr(at + opts.ready_marker.size());
                while (!child->url_.empty() &&
                       (child->url_.back() == '\r' || child->url_.back() == ' ')) {
                    child->url_.pop_back();
                }
                auto colon = child->url_.rfind(':');
                if (colon != std::string::npos) {
                    child->port_ =
                        static_cast<std::uint16_t>(std::atoi(child->url_.c_str() + colon + 1));
                }
                child->output_ += buffer;
                child->drainer_ = std::thread([c = child.get()] { c->drain(); });
                return child;
            }
            nl = buffer.find('\n');
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                          clock_type::now());
        if (left.count() <= 0) {
            error = "no '" + opts.ready_marker + "' line from " + exe + " within " +
                    std::to_string(opts.ready_timeout.count()) + " ms; output: " + child->output_ +
                    buffer;
            child->stop(std::chrono::milliseconds(2000));
            return nullptr;
        }
        pollfd p{child->stdout_fd_, POLLIN, 0};
        int pr = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 100)));
        if (pr < 0 && errno != EINTR) {
            error = std::string("poll: ") + std::strerror(errno);
            child->stop(std::chrono::milliseconds(2000));
            return nullptr;
        }
        if (pr > 0) {
            char chunk[4096];
            auto n = ::read(child->stdout_fd_, chunk, sizeof chunk);
            if (n > 0) {
                buffer.append(chunk, static_cast<std::size_t>(n));
                continue;
            }
            // EOF: the child exited (or closed stdout) before becoming ready.
            int code = child->stop(std::chrono::milliseconds(2000));
            error = exe + " exited (status " + std::to_string(code) +
                    ") before printing its ready line; output: " + child->output_ + buffer;
            return nullptr;
        }
    }
}

void child_process::drain()
{
    char chunk[4096];
    for (;;) {
        auto n = ::read(stdout_fd_, chunk, sizeof chunk);
        if (n > 0) {
            std::lock_guard lock(mutex_);
            if (output_.size() < 4 * 1024 * 1024) {
                output_.append(chunk, static_cast<std::size_t>(n));
            }
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        return;
    }
}

bool child_process::running()
{
    if (reaped_ || pid_ <= 0) {
        return false;
    }
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        reaped_ = true;
        status_ = decode_status(status);
        return false;
    }
    return r == 0;
}

int child_process::stop(std::chrono::milliseconds grace)
{
    if (pid_ > 0 && !reaped_) {
        int status = 0;
        ::kill(pid_, SIGTERM);
        if (!wait_until(pid_, clock_type::now() + grace, status)) {
            ::kill(-pid_, SIGKILL);
            ::kill(pid_, SIGKILL);
            wait_until(pid_, clock_type::now() + std::chrono::seconds(10), status);
        }
        reaped_ = true;
        status_ = decode_status(status);
        // Anything the child started in its group goes with it.
        ::kill(-pid_, SIGKILL);
    }
    if (drainer_.joinable()) {
        drainer_.join();
    }
    if (stdout_fd_ >= 0) {
        ::close(stdout_fd_);
        stdout_fd_ = -1;
    }
    return status_;
}

std::string child_process::output() const
{
    std::lock_guard lock(mutex_);
    return output_;
}

child_process::~child_process()
{
    stop(std::chrono::milliseconds(5000));
}

command_result run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                           const std::string& stdin_data,
                           const std::map<std::string, std::string>& env)
{
    command_result result;
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 ||
        ::pipe2(err, O_CLOEXEC) != 0) {
        result.err = std::string("pipe: ") + std::strerror(errno);
        return result;
    }
    pid_t pid = spawn(argv, env, in[0], out[1], err[1], {in[1], out[0], err[0]});
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    if (pid < 0) {
        result.err = std::string("fork: ") + std::strerror(errno);
        ::close(in[1]);
        ::close(out[0]);
        ::close(err[0]);
        return result;
    }
    // Small inputs only (manifests): write all, then close so the child sees EOF.
    std::size_t off = 0;
    ::signal(SIGPIPE, SIG_IGN);
    while (off < stdin_data.size()) {
        auto n = ::write(in[1], stdin_data.data() + off, stdin_data.size() - off);
        if (n <= 0) {
            break;
        }
        off += static_cast<std::size_t>(n);
    }
    ::close(in[1]);

    const auto deadline = clock_type::now() + timeout;
    bool out_open = true;
    bool err_open = true;
    while (out_open || err_open) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                          clock_type::now());
        if (left.count() <= 0) {
            result.timed_out = true;
            ::kill(-pid, SIGKILL);
            ::kill(pid, SIGKILL);
            break;
        }
        pollfd fds[2] = {{out_open ? out[0] : -1, POLLIN, 0}, {err_open ? err[0] : -1, POLLIN, 0}};
        int pr = ::poll(fds, 2, static_cast<int>(std::min<long long>(left.count(), 100)));
        if (pr <= 0) {
            continue;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
                continue;
            }
            char chunk[8192];
            auto n = ::read(fds[i].fd, chunk, sizeof chunk);
            if (n > 0) {
                (i == 0 ? result.out : result.err).append(chunk, static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                (i == 0 ? out_open : err_open) = false;
            }
        }
    }
    ::close(out[0]);
    ::close(err[0]);
    int status = 0;
    if (!wait_until(pid, clock_type::now() + std::chrono::seconds(10), status)) {
        ::kill(-pid, SIGKILL);
        wait_until(pid, clock_type::now() + std::chrono::seconds(10), status);
    }
    result.exit_code = decode_status(status);
    return result;
}

} // namespace test_support
