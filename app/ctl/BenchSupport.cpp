#include "BenchSupport.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sluicectl::bench {

using sluice::ErrorCode;
using sluice::Result;
using sluice::Status;

namespace {

constexpr int kBrokerStartMs = 20000;

// Owns a file descriptor.
class Fd {
public:
    explicit Fd(int fd = -1) : m_fd(fd) {}
    ~Fd() {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return m_fd; }
    void reset() {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = -1;
    }

private:
    int m_fd;
};

void stopChild(pid_t pid) {
    if (pid <= 0)
        return;
    ::kill(pid, SIGTERM);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
}

// One "Key:   value kB" line of /proc/self/status, in bytes.
int64_t statusField(const char* key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    const size_t keyLen = std::strlen(key);
    while (std::getline(in, line)) {
        if (line.compare(0, keyLen, key) == 0 && line.size() > keyLen && line[keyLen] == ':')
            return std::atoll(line.c_str() + keyLen + 1) * 1024;
    }
    return -1;
}

void onDelivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
    auto* d = static_cast<Producer::Delivery*>(opaque);
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++d->acknowledged;
    } else if (d->failed++ == 0) {
        d->firstError = msg->err;
    }
}

} // namespace

// ---------------------------------------------------------------------------------------------
// BrokerProcess

Result<std::unique_ptr<BrokerProcess>> BrokerProcess::start(const std::vector<std::string>& topics,
                                                            int brokers) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        return Status(ErrorCode::Io, std::string("pipe: ") + std::strerror(errno));
    Fd readEnd(fds[0]);
    Fd writeEnd(fds[1]);

    std::vector<std::string> args = {"/proc/self/exe", "broker", "--brokers", std::to_string(brokers)};
    for (const auto& t : topics) {
        args.push_back("--topic");
        args.push_back(t);
    }
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t parent = ::getpid();

    const pid_t pid = ::fork();
    if (pid < 0)
        return Status(ErrorCode::Io, std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        // Child: only async-signal-safe calls until exec.
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent)
            ::_exit(127);
        ::dup2(writeEnd.get(), STDOUT_FILENO);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    writeEnd.reset();
    std::unique_ptr<BrokerProcess> self(new BrokerProcess());
    self->m_pid = pid;

    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBrokerStartMs);
    while (line.find('\n') == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                              deadline - std::chrono::steady_clock::now())
                              .count();
        if (left <= 0)
            return Status(ErrorCode::Timeout, "the embedded broker did not report its address");
        pollfd p{readEnd.get(), POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(left));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        char buf[256];
        const ssize_t n = ::read(readEnd.get(), buf, sizeof(buf));
        if (n <= 0)
            return Status(ErrorCode::Io, "the embedded broker exited before reporting its address");
        line.append(buf, static_cast<size_t>(n));
    }
    line.resize(line.find('\n'));
    const std::string prefix = "bootstrap=";
    if (line.compare(0, prefix.size(), prefix) != 0)
        return Status(ErrorCode::Internal, "unexpected broker output: " + line);
    self->m_bootstrap = line.substr(prefix.size());
    return self;
}

BrokerProcess::~BrokerProcess() { stopChild(m_pid); }

double BrokerProcess::cpuSeconds() const {
    std::ifstream in("/proc/" + std::to_string(m_pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const size_t close = text.rfind(')');
    if (close == std::string::npos)
        return -1;
    std::vector<std::string> fields;
    size_t pos = close + 2;
    while (pos < text.size()) {
        size_t end = text.find(' ', pos);
        if (end == std::string::npos)
            end = text.size();
        fields.push_back(text.substr(pos, end - pos));
        pos = end + 1;
    }
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    if (fields.size() < 13)
        return -1;
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    return (std::atof(fields[11].c_str()) + std::atof(fields[12].c_str())) / ticks;
}

// ---------------------------------------------------------------------------------------------
// Producer

void Producer::KafkaDeleter::operator()(rd_kafka_s* rk) const { rd_kafka_destroy(rk); }
void Producer::KafkaDeleter::operator()(rd_kafka_topic_s* rkt) const { rd_kafka_topic_destroy(rkt); }

Result<std::unique_ptr<Producer>> Producer::open(const std::string& bootstrap, const std::string& topic,
                                                 int lingerMs) {
    struct ConfDeleter {
        void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
    };
    std::unique_ptr<rd_kafka_conf_t, ConfDeleter> conf(rd_kafka_conf_new());
    const std::pair<const char*, std::string> settings[] = {
        {"bootstrap.servers", bootstrap},
        {"client.id", "sluice-bench"},
        {"enable.idempotence", "true"},
        {"compression.type", "lz4"},
        {"linger.ms", std::to_string(lingerMs)},
        // Bounded so the backlog's bytes do not inflate this process's memory before the drain.
        {"queue.buffering.max.kbytes", "32768"},
        {"message.timeout.ms", "60000"},
        {"log_level", "3"},
    };
    char errstr[512] = {};
    for (const auto& [name, value] : settings) {
        if (rd_kafka_conf_set(conf.get(), name, value.c_str(), errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
            return Status(ErrorCode::InvalidArgument, std::string(name) + ": " + errstr);
    }
    std::unique_ptr<Producer> self(new Producer());
    rd_kafka_conf_set_dr_msg_cb(conf.get(), onDelivery);
    rd_kafka_conf_set_opaque(conf.get(), self->m_delivery.get());
    self->m_rk.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof(errstr)));
    if (!self->m_rk)
        return Status(ErrorCode::Kafka, std::string("cannot create producer: ") + errstr);
    conf.release(); // owned by the handle now
    self->m_topic.reset(rd_kafka_topic_new(self->m_rk.get(), topic.c_str(), nullptr));
    if (!self->m_topic)
        return Status(ErrorCode::Kafka, "topic '" + topic + "': " + rd_kafka_err2str(rd_kafka_last_error()));
    return self;
}

Producer::~Producer() {
    if (m_rk)
        rd_kafka_flush(m_rk.get(), 5000);
}

Status Producer::produce(std::string_view key, std::string_view value) {
    for (;;) {
        const rd_kafka_resp_err_t err = rd_kafka_producev(
            m_rk.get(), RD_KAFKA_V_RKT(m_topic.get()),
            RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
            RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(m_rk.get(), 10);
            continue;
        }
        if (err)
            return Status(ErrorCode::Kafka, std::string("produce: ") + rd_kafka_err2str(err));
        if (m_delivery->failed)
            return Status(ErrorCode::Kafka, std::string("delivery failed: ") +
                                                rd_kafka_err2str(rd_kafka_resp_err_t(m_delivery->firstError)));
        return {};
    }
}

void Producer::poll() const { rd_kafka_poll(m_rk.get(), 0); }

Status Producer::flush() {
    while (rd_kafka_outq_len(m_rk.get()) > 0)
        rd_kafka_flush(m_rk.get(), 1000);
    if (m_delivery->failed)
        return Status(ErrorCode::Kafka,
                      std::to_string(m_delivery->failed) + " message(s) not delivered: " +
                          rd_kafka_err2str(rd_kafka_resp_err_t(m_delivery->firstError)));
    return {};
}

// ---------------------------------------------------------------------------------------------
// TempDir

Result<TempDir> TempDir::create(const std::string& prefix) {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
    if (!::mkdtemp(pattern.data()))
        return Status(ErrorCode::Io, "cannot create a folder like " + pattern + ": " + std::strerror(errno));
    return TempDir(pattern);
}

TempDir::~TempDir() {
    if (m_path.empty())
        return;
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
}

// ---------------------------------------------------------------------------------------------
// Probes

int64_t currentRssBytes() { return statusField("VmRSS"); }
int64_t peakRssBytes() { return statusField("VmHWM"); }

void RssSampler::start() {
    stop();
    // Resets the kernel's high-water mark (VmHWM) to the current RSS, so that stop() reads the
    // exact peak of this span; the 100 ms samples are the fallback where that is not allowed.
    m_exact = false;
    if (std::FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
        const bool wrote = std::fputs("5", f) >= 0;
        m_exact = std::fclose(f) == 0 && wrote;
    }
    m_peak.store(currentRssBytes());
    m_running.store(true);
    if (m_exact)
        return; // stop() reads the peak; no samples needed
    m_thread = std::thread([this] {
        while (m_running.load()) {
            const int64_t rss = currentRssBytes();
            if (rss > m_peak.load())
                m_peak.store(rss);
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    });
}

void RssSampler::stop() {
    if (!m_running.exchange(false))
        return;
    if (m_thread.joinable())
        m_thread.join();
    const int64_t rss = m_exact ? peakRssBytes() : currentRssBytes();
    if (rss > m_peak.load())
        m_peak.store(rss);
}

double processCpuSeconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double percentile(const std::vector<double>& sorted, double q) {
    if (sorted.empty())
        return 0;
    size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
    rank = std::clamp<size_t>(rank, 1, sorted.size());
    return sorted[rank - 1];
}

int64_t epochMs() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace sluicectl::bench
