#include "transform/TransformRunner.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

// How a run works:
// - posix_spawn (glibc: clone(CLONE_VFORK) + exec, safe in a threaded process) with the three
//   pipes dup2'ed onto 0/1/2, a new process group (so a timeout kills the program's own children
//   too), the working directory, an empty signal mask and default dispositions.
// - Every fd this file opens is O_CLOEXEC, so a spawn on another thread never inherits our pipe
//   ends (which would keep them open and hide EOF). The parent's ends are O_NONBLOCK; the child's
//   ends stay blocking (they are separate open file descriptions).
// - One poll() loop writes stdin, reads stdout and stderr, and waits for the exit through a
//   pidfd, so neither side can block the other whatever the program reads or writes first.
// - SIGPIPE: blocked in the calling thread for the duration of the run (pthread_sigmask), and the
//   one SIGPIPE a write into a closed pipe raises is consumed with sigtimedwait before the mask
//   is restored. Nothing process-wide changes; the child starts with SIGPIPE at its default.
// - The child is always reaped: ChildProcess kills its process group and waits on every exit
//   path that did not reap it. A run ends when stdout and stderr are at EOF and the child has
//   exited; a program that exits but leaves a child holding its stdout open runs into the
//   timeout, which kills that child too.

namespace sluice::transform {

namespace {

constexpr size_t kStderrLimit = 64 * 1024;
constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kWriteChunk = 1024 * 1024;
constexpr int kReadsPerWakeup = 16; // then poll again, so one busy pipe cannot starve the rest
constexpr size_t kFirstLineLimit = 500;

class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : m_fd(fd) {}
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    UniqueFd(UniqueFd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) {
            reset();
            m_fd = std::exchange(other.m_fd, -1);
        }
        return *this;
    }
    ~UniqueFd() { reset(); }

    int get() const { return m_fd; }
    bool valid() const { return m_fd >= 0; }
    void reset() {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = -1;
    }

private:
    int m_fd = -1;
};

struct Pipe {
    UniqueFd readEnd;
    UniqueFd writeEnd;
};

// Both ends O_CLOEXEC and blocking; the caller makes its own end non-blocking.
int openPipe(Pipe& pipe) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        return errno;
    pipe.readEnd = UniqueFd(fds[0]);
    pipe.writeEnd = UniqueFd(fds[1]);
    return 0;
}

int setNonBlocking(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return errno;
    return 0;
}

class SpawnFileActions {
public:
    SpawnFileActions() { m_error = ::posix_spawn_file_actions_init(&m_actions); }
    SpawnFileActions(const SpawnFileActions&) = delete;
    SpawnFileActions& operator=(const SpawnFileActions&) = delete;
    ~SpawnFileActions() {
        if (m_error == 0)
            ::posix_spawn_file_actions_destroy(&m_actions);
    }
    int initError() const { return m_error; }
    posix_spawn_file_actions_t* get() { return &m_actions; }

private:
    posix_spawn_file_actions_t m_actions;
    int m_error = 0;
};

class SpawnAttr {
public:
    SpawnAttr() { m_error = ::posix_spawnattr_init(&m_attr); }
    SpawnAttr(const SpawnAttr&) = delete;
    SpawnAttr& operator=(const SpawnAttr&) = delete;
    ~SpawnAttr() {
        if (m_error == 0)
            ::posix_spawnattr_destroy(&m_attr);
    }
    int initError() const { return m_error; }
    posix_spawnattr_t* get() { return &m_attr; }

private:
    posix_spawnattr_t m_attr;
    int m_error = 0;
};

// Blocks SIGPIPE in this thread while alive; see the file comment.
class SigpipeBlock {
public:
    SigpipeBlock() {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        ::pthread_sigmask(SIG_BLOCK, &set, &m_old);
    }
    SigpipeBlock(const SigpipeBlock&) = delete;
    SigpipeBlock& operator=(const SigpipeBlock&) = delete;
    ~SigpipeBlock() { ::pthread_sigmask(SIG_SETMASK, &m_old, nullptr); }

    // After a write failed with EPIPE: takes the SIGPIPE it raised off this thread.
    void consumePending() {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        const timespec zero{0, 0};
        while (::sigtimedwait(&set, nullptr, &zero) < 0 && errno == EINTR) {
        }
    }

private:
    sigset_t m_old;
};

// Owns a spawned child: reaps it exactly once, killing its process group first when it was not
// reaped by the normal path. The child is only reaped at the end of a run, never as soon as it
// exits: while it is an unreaped zombie its pid, and so its process group id, cannot be reused,
// which keeps kill(-pid) aimed at its own group even after it exited and left children behind.
class ChildProcess {
public:
    ChildProcess() = default;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ~ChildProcess() { killAndReap(); }

    void adopt(pid_t pid) { m_pid = pid; }
    int status() const { return m_status; }

    // True once the child has exited; does not reap it.
    bool hasExited() const {
        siginfo_t info{};
        while (::waitid(P_PID, static_cast<id_t>(m_pid), &info, WEXITED | WNOHANG | WNOWAIT) < 0) {
            if (errno != EINTR)
                return true; // ECHILD: nothing left to wait for
        }
        return info.si_pid != 0;
    }

    void reap() {
        if (m_pid <= 0 || m_reaped)
            return;
        int st = 0;
        while (::waitpid(m_pid, &st, 0) < 0 && errno == EINTR) {
        }
        m_status = st;
        m_reaped = true;
    }

    void killAndReap() {
        if (m_pid <= 0 || m_reaped)
            return;
        // The group (setpgid in the child before exec) and the pid itself, in case the group is
        // gone already while the leader lingers.
        ::kill(-m_pid, SIGKILL);
        ::kill(m_pid, SIGKILL);
        reap();
    }

private:
    pid_t m_pid = -1;
    bool m_reaped = false;
    int m_status = 0;
};

std::vector<std::string> splitArgs(const std::string& args) {
    std::vector<std::string> out;
    size_t i = 0;
    const char* const kSpace = " \t\n\r\f\v";
    while (i < args.size()) {
        i = args.find_first_not_of(kSpace, i);
        if (i == std::string::npos)
            break;
        size_t end = args.find_first_of(kSpace, i);
        if (end == std::string::npos)
            end = args.size();
        out.push_back(args.substr(i, end - i));
        i = end;
    }
    return out;
}

std::string firstLine(const std::string& text) {
    std::string line = text.substr(0, text.find('\n'));
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    if (line.size() > kFirstLineLimit)
        line = line.substr(0, kFirstLineLimit) + "...";
    return line;
}

Status cannotRun(const std::string& uri, const std::string& why) {
    return Status(ErrorCode::Transform, "cannot run transform '" + uri + "': " + why);
}

// What the child execs and whether through a PATH search. The child runs in workingDir (when
// given), so a relative path is exec'ed as it is and resolves against workingDir there.
struct Program {
    std::string path;
    bool searchPath = false;
};

Result<Program> resolveProgram(const sql::TransformSpec& spec, const std::string& workingDir) {
    std::string path = spec.uri;
    constexpr std::string_view kFileScheme = "file://";
    if (path.compare(0, kFileScheme.size(), kFileScheme) == 0)
        path.erase(0, kFileScheme.size());
    if (path.empty())
        return cannotRun(spec.uri, "no program given");
    if (path.find("://") != std::string::npos)
        return cannotRun(spec.uri, "only local programs are supported");
    Program program;
    if (path.find('/') != std::string::npos) {
        program.path = path;
    } else if (!workingDir.empty() && ::access((workingDir + "/" + path).c_str(), F_OK) == 0) {
        program.path = "./" + path;
    } else {
        // A bare name that is not in the working directory: looked up in PATH, like a shell.
        program.path = path;
        program.searchPath = true;
    }
    return program;
}

void readAvailable(int fd, std::vector<char>& buf, std::string& into, size_t limit, bool& open) {
    for (int i = 0; i < kReadsPerWakeup; ++i) {
        const ssize_t r = ::read(fd, buf.data(), buf.size());
        if (r > 0) {
            const size_t room = limit - std::min(limit, into.size());
            into.append(buf.data(), std::min(room, static_cast<size_t>(r)));
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        open = false; // EOF, or an error that no further read will clear
        return;
    }
}

} // namespace

void appendFramed(std::string& buf, std::string_view value) {
    const auto n = static_cast<uint64_t>(value.size());
    char header[8];
    for (int i = 0; i < 8; ++i)
        header[i] = static_cast<char>((n >> (8 * i)) & 0xff);
    buf.append(header, sizeof header);
    buf.append(value);
}

Result<TransformOutput> runTransform(const sql::TransformSpec& spec, std::string_view input,
                                     std::chrono::milliseconds timeout,
                                     const std::string& workingDir, TransformOutput* failedOutput) {
    const auto started = std::chrono::steady_clock::now();
    TransformOutput output;
    auto fail = [&](Status status) -> Result<TransformOutput> {
        if (failedOutput)
            *failedOutput = output;
        return status;
    };
    output.exitCode = -1;

    auto resolved = resolveProgram(spec, workingDir);
    if (!resolved.ok())
        return fail(resolved.status());
    const Program& program = *resolved;

    std::vector<std::string> argvStrings;
    argvStrings.push_back(program.path);
    for (std::string& a : splitArgs(spec.args))
        argvStrings.push_back(std::move(a));
    std::vector<char*> argv;
    for (std::string& a : argvStrings)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    Pipe in;
    Pipe out;
    Pipe err;
    for (Pipe* p : {&in, &out, &err}) {
        if (const int e = openPipe(*p))
            return fail(cannotRun(spec.uri, std::strerror(e)));
    }

    SpawnFileActions actions;
    SpawnAttr attr;
    if (actions.initError() || attr.initError())
        return fail(cannotRun(
            spec.uri, std::strerror(actions.initError() ? actions.initError() : attr.initError())));
    posix_spawn_file_actions_adddup2(actions.get(), in.readEnd.get(), STDIN_FILENO);
    posix_spawn_file_actions_adddup2(actions.get(), out.writeEnd.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(actions.get(), err.writeEnd.get(), STDERR_FILENO);
    if (!workingDir.empty())
        posix_spawn_file_actions_addchdir_np(actions.get(), workingDir.c_str());

    sigset_t emptyMask;
    sigemptyset(&emptyMask);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int sig : {SIGPIPE, SIGINT, SIGQUIT, SIGHUP, SIGTERM, SIGCHLD, SIGUSR1, SIGUSR2})
        sigaddset(&defaults, sig);
    posix_spawnattr_setflags(attr.get(), POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                             POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(attr.get(), 0);
    posix_spawnattr_setsigmask(attr.get(), &emptyMask);
    posix_spawnattr_setsigdefault(attr.get(), &defaults);

    // Before the spawn, so no SIGPIPE can reach this thread's default handler mid-run.
    SigpipeBlock sigpipeBlock;
    ChildProcess child;
    pid_t pid = -1;
    const int spawnError = program.searchPath
                               ? ::posix_spawnp(&pid, program.path.c_str(), actions.get(),
                                                attr.get(), argv.data(), environ)
                               : ::posix_spawn(&pid, program.path.c_str(), actions.get(),
                                               attr.get(), argv.data(), environ);
    if (spawnError != 0) {
        if (!workingDir.empty() && ::access(workingDir.c_str(), X_OK) != 0) {
            const int e = errno;
            return fail(
                cannotRun(spec.uri, "working directory '" + workingDir + "': " + std::strerror(e)));
        }
        return fail(cannotRun(spec.uri, std::strerror(spawnError)));
    }
    child.adopt(pid);

    in.readEnd.reset();
    out.writeEnd.reset();
    err.writeEnd.reset();
    for (const UniqueFd* fd : {&in.writeEnd, &out.readEnd, &err.readEnd}) {
        if (const int e = setNonBlocking(fd->get()))
            return fail(cannotRun(spec.uri, std::strerror(e)));
    }
    // Readable once the child exits (Linux 5.3+); without it, the loop polls waitpid.
    UniqueFd pidFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));

    const bool limited = timeout.count() > 0;
    const auto deadline = started + timeout;
    std::vector<char> buf(kReadChunk);
    size_t written = 0;
    if (input.empty())
        in.writeEnd.reset();
    bool outOpen = true;
    bool errOpen = true;
    bool exited = false;
    int backoffMs = 1;

    while (outOpen || errOpen || !exited) {
        if (!exited && !pidFd.valid() && !outOpen && !errOpen)
            exited = child.hasExited();
        if (exited && !outOpen && !errOpen)
            break;

        int waitMs = -1;
        if (limited) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                child.killAndReap();
                output.exitCode = -1;
                return fail(
                    Status(ErrorCode::Timeout, "transform '" + spec.uri + "' timed out after " +
                                                   std::to_string(timeout.count()) + " ms"));
            }
            waitMs = static_cast<int>(std::min<int64_t>(left.count(), INT_MAX));
        }

        pollfd fds[4];
        nfds_t count = 0;
        int inIdx = -1;
        int outIdx = -1;
        int errIdx = -1;
        int pidIdx = -1;
        if (in.writeEnd.valid()) {
            inIdx = static_cast<int>(count);
            fds[count++] = pollfd{in.writeEnd.get(), POLLOUT, 0};
        }
        if (outOpen) {
            outIdx = static_cast<int>(count);
            fds[count++] = pollfd{out.readEnd.get(), POLLIN, 0};
        }
        if (errOpen) {
            errIdx = static_cast<int>(count);
            fds[count++] = pollfd{err.readEnd.get(), POLLIN, 0};
        }
        if (!exited && pidFd.valid()) {
            pidIdx = static_cast<int>(count);
            fds[count++] = pollfd{pidFd.get(), POLLIN, 0};
        }
        if (count == 0) {
            // Both outputs closed, no pidfd: back off while waiting for the exit.
            waitMs = waitMs < 0 ? backoffMs : std::min(waitMs, backoffMs);
            backoffMs = std::min(backoffMs * 2, 50);
        }

        const int ready = ::poll(fds, count, waitMs);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            const int e = errno;
            child.killAndReap();
            return fail(Status(ErrorCode::Transform,
                               "transform '" + spec.uri + "': poll failed: " + std::strerror(e)));
        }

        if (inIdx >= 0 && fds[inIdx].revents != 0) {
            while (written < input.size()) {
                const size_t n = std::min(input.size() - written, kWriteChunk);
                const ssize_t w = ::write(in.writeEnd.get(), input.data() + written, n);
                if (w > 0) {
                    written += static_cast<size_t>(w);
                    continue;
                }
                if (w < 0 && errno == EINTR)
                    continue;
                if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                    break;
                // The program closed its stdin (or exited) without reading everything: not an
                // error by itself; its exit status decides.
                if (w < 0 && errno == EPIPE)
                    sigpipeBlock.consumePending();
                in.writeEnd.reset();
                break;
            }
            if (written == input.size())
                in.writeEnd.reset();
        }
        if (outIdx >= 0 && fds[outIdx].revents != 0)
            readAvailable(out.readEnd.get(), buf, output.stdoutData, SIZE_MAX, outOpen);
        if (errIdx >= 0 && fds[errIdx].revents != 0)
            readAvailable(err.readEnd.get(), buf, output.stderrData, kStderrLimit, errOpen);
        if (pidIdx >= 0 && fds[pidIdx].revents != 0) {
            exited = child.hasExited();
            pidFd.reset(); // from here on, wait for the exit by polling
        }
    }
    // Output EOF and exit seen, input possibly not all written (the program stopped reading).
    in.writeEnd.reset();
    child.reap();

    const int status = child.status();
    if (WIFEXITED(status)) {
        output.exitCode = WEXITSTATUS(status);
        if (output.exitCode == 0)
            return output;
        std::string message =
            "transform '" + spec.uri + "' exited with code " + std::to_string(output.exitCode);
        const std::string line = firstLine(output.stderrData);
        if (!line.empty())
            message += ": " + line;
        return fail(Status(ErrorCode::Transform, std::move(message)));
    }
    const int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    output.exitCode = 128 + sig;
    const char* description = ::sigdescr_np(sig); // thread-safe, unlike strsignal
    std::string message = "transform '" + spec.uri + "' was killed by signal " +
                          std::to_string(sig) + " (" + (description ? description : "unknown") +
                          ")";
    const std::string line = firstLine(output.stderrData);
    if (!line.empty())
        message += ": " + line;
    return fail(Status(ErrorCode::Transform, std::move(message)));
}

} // namespace sluice::transform
