#include "source/KafkaSource.h"

#include "source/FetchWaker.h"
#include "source/KafkaHandles.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <random>
#include <utility>

namespace sluice::source {

using namespace detail;

// ---------------------------------------------------------------------------------------------
// KafkaMessage

KafkaMessage& KafkaMessage::operator=(KafkaMessage&& other) noexcept {
    if (this != &other) {
        if (m_raw)
            rd_kafka_message_destroy(m_raw);
        m_raw = std::exchange(other.m_raw, nullptr);
    }
    return *this;
}

KafkaMessage::~KafkaMessage() {
    if (m_raw)
        rd_kafka_message_destroy(m_raw);
}

int64_t KafkaMessage::timestampMs() const {
    if (!m_raw)
        return -1;
    rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
    const int64_t ts = rd_kafka_message_timestamp(m_raw, &type);
    return type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : ts;
}

std::string_view KafkaMessage::key() const {
    if (!m_raw || !m_raw->key)
        return {};
    return {static_cast<const char*>(m_raw->key), m_raw->key_len};
}

// ---------------------------------------------------------------------------------------------
// parseFlatJsonObject

namespace {

class FlatJsonParser {
public:
    explicit FlatJsonParser(std::string_view text) : m_text(text) {}

    Result<std::map<std::string, std::string>> parse() {
        std::map<std::string, std::string> out;
        skipSpace();
        if (!consume('{'))
            return fail("expected '{'");
        skipSpace();
        if (consume('}'))
            return finish(std::move(out));
        for (;;) {
            skipSpace();
            if (peek() != '"')
                return fail("expected a property name in double quotes");
            std::string key;
            if (Status s = parseString(key); !s.ok())
                return s;
            skipSpace();
            if (!consume(':'))
                return fail("expected ':' after \"" + key + "\"");
            skipSpace();
            std::string value;
            const char c = peek();
            if (c == '"') {
                if (Status s = parseString(value); !s.ok())
                    return s;
            } else if (c == '-' || (c >= '0' && c <= '9')) {
                if (Status s = parseNumber(value); !s.ok())
                    return s;
            } else if (matchWord("true")) {
                value = "true";
            } else if (matchWord("false")) {
                value = "false";
            } else if (c == '{' || c == '[') {
                return fail("property \"" + key + "\" has a nested " +
                            (c == '{' ? "object" : "array") +
                            "; only strings, numbers and booleans are allowed");
            } else if (matchWord("null")) {
                return fail("property \"" + key +
                            "\" is null; only strings, numbers and booleans are allowed");
            } else {
                return fail("expected a value for \"" + key + "\"");
            }
            if (!out.emplace(key, std::move(value)).second)
                return fail("duplicate property \"" + key + "\"");
            skipSpace();
            if (consume(','))
                continue;
            if (consume('}'))
                return finish(std::move(out));
            return fail("expected ',' or '}'");
        }
    }

private:
    // Messages name positions and keys, never values: the input may hold credentials.
    Status fail(const std::string& what) const {
        return Status(ErrorCode::InvalidArgument,
                      "invalid JSON at position " + std::to_string(m_pos) + ": " + what);
    }

    Result<std::map<std::string, std::string>> finish(std::map<std::string, std::string> out) {
        skipSpace();
        if (m_pos != m_text.size())
            return fail("unexpected text after the closing '}'");
        return out;
    }

    char peek() const { return m_pos < m_text.size() ? m_text[m_pos] : '\0'; }
    bool consume(char c) {
        if (peek() != c || m_pos >= m_text.size())
            return false;
        ++m_pos;
        return true;
    }
    bool matchWord(std::string_view word) {
        if (m_text.substr(m_pos, word.size()) != word)
            return false;
        m_pos += word.size();
        return true;
    }
    void skipSpace() {
        while (m_pos < m_text.size() && (m_text[m_pos] == ' ' || m_text[m_pos] == '\t' ||
                                         m_text[m_pos] == '\n' || m_text[m_pos] == '\r'))
            ++m_pos;
    }

    static void appendUtf8(std::string& out, uint32_t cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    bool parseHex4(uint32_t& cp) {
        if (m_pos + 4 > m_text.size())
            return false;
        cp = 0;
        for (int i = 0; i < 4; ++i) {
            const char h = m_text[m_pos + i];
            cp <<= 4;
            if (h >= '0' && h <= '9')
                cp |= static_cast<uint32_t>(h - '0');
            else if (h >= 'a' && h <= 'f')
                cp |= static_cast<uint32_t>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F')
                cp |= static_cast<uint32_t>(h - 'A' + 10);
            else
                return false;
        }
        m_pos += 4;
        return true;
    }

    Status parseString(std::string& out) {
        ++m_pos; // opening quote
        for (;;) {
            if (m_pos >= m_text.size())
                return fail("unterminated string");
            const char c = m_text[m_pos++];
            if (c == '"')
                return {};
            if (static_cast<unsigned char>(c) < 0x20)
                return fail("control character in a string");
            if (c != '\\') {
                out += c;
                continue;
            }
            if (m_pos >= m_text.size())
                return fail("unterminated string");
            const char e = m_text[m_pos++];
            switch (e) {
            case '"':
            case '\\':
            case '/':
                out += e;
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'u': {
                uint32_t cp = 0;
                if (!parseHex4(cp))
                    return fail("bad \\u escape");
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    uint32_t low = 0;
                    if (!matchWord("\\u") || !parseHex4(low) || low < 0xDC00 || low > 0xDFFF)
                        return fail("unpaired surrogate in \\u escape");
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return fail("unpaired surrogate in \\u escape");
                }
                appendUtf8(out, cp);
                break;
            }
            default:
                --m_pos;
                return fail("bad escape in a string");
            }
        }
    }

    // JSON number grammar; the value keeps its literal spelling (librdkafka parses it).
    Status parseNumber(std::string& out) {
        const size_t begin = m_pos;
        auto digits = [&] {
            const size_t from = m_pos;
            while (m_pos < m_text.size() && m_text[m_pos] >= '0' && m_text[m_pos] <= '9')
                ++m_pos;
            return m_pos - from;
        };
        consume('-');
        if (peek() == '0')
            ++m_pos;
        else if (digits() == 0)
            return fail("bad number");
        if (consume('.') && digits() == 0)
            return fail("bad number");
        if (peek() == 'e' || peek() == 'E') {
            ++m_pos;
            if (!consume('+'))
                consume('-');
            if (digits() == 0)
                return fail("bad number");
        }
        out.assign(m_text.substr(begin, m_pos - begin));
        return {};
    }

    std::string_view m_text;
    size_t m_pos = 0;
};

bool isBlank(std::string_view s) {
    return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

std::string randomGroupId() {
    std::random_device rd;
    std::uniform_int_distribution<uint64_t> dist;
    char buf[40];
    std::snprintf(buf, sizeof(buf), "sluice-%016llx", static_cast<unsigned long long>(dist(rd)));
    return buf;
}

// Properties the engine's exactly-once and data-loss guarantees rest on; CONFIG may not change
// them.
constexpr const char* kManagedProperties[] = {
    "enable.auto.commit",
    "enable.auto.offset.store",
    "auto.offset.reset",
};

} // namespace

Result<std::map<std::string, std::string>> parseFlatJsonObject(std::string_view json) {
    return FlatJsonParser(json).parse();
}

// ---------------------------------------------------------------------------------------------
// KafkaSource

namespace {

// Error text that leaves a KafkaSource, and the consumer-wide errors librdkafka reported.
struct ErrorSink {
    std::vector<std::string> secrets; // credential values, masked in every error text
    std::string last;                 // last consumer-wide, non-fatal error
    std::string fatal;                // set once librdkafka reports a fatal error

    // Replaces every credential value in librdkafka text before it leaves this class.
    std::string scrub(std::string text) const {
        for (const std::string& secret : secrets) {
            if (secret.empty())
                continue;
            for (size_t at = text.find(secret); at != std::string::npos;
                 at = text.find(secret, at + 3))
                text.replace(at, secret.size(), "***");
        }
        return text;
    }
};

// Consumer-wide errors (broker down, authentication failed, fatal); without an error_cb
// librdkafka only logs them. Runs on the thread that serves the consumer queue, i.e. inside
// poll() (the main queue is forwarded there), so the sink needs no lock.
void onConsumerError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    auto* sink = static_cast<ErrorSink*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char fatal[512] = {};
        rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
        sink->fatal = sink->scrub(fatal);
        return;
    }
    sink->last = sink->scrub(reason ? reason : rd_kafka_err2str(rd_kafka_resp_err_t(err)));
}

} // namespace

// Member order is destruction order in reverse: queue before the consumer handle; the sink
// outlives both (librdkafka holds a pointer to it).
struct KafkaSource::Impl {
    ErrorSink errors;
    KafkaHandle rk;
    QueueHandle queue; // the consumer queue (rd_kafka_queue_get_consumer)
    std::string topic;
    std::vector<rd_kafka_message_t*> batch; // scratch for consume_batch_queue
    std::unique_ptr<FetchWaker> waker;      // last: stopped before the queue and handle go

    std::string scrub(std::string text) const { return errors.scrub(std::move(text)); }
};

KafkaSource::KafkaSource() : m_impl(std::make_unique<Impl>()) {}

KafkaSource::~KafkaSource() {
    if (m_impl && m_impl->rk) {
        // Leaves the (never joined) group cleanly; nothing is committed.
        m_impl->waker.reset();
        m_impl->queue.reset();
        rd_kafka_consumer_close(m_impl->rk.get());
    }
}

Result<std::unique_ptr<KafkaSource>> KafkaSource::open(const KafkaSourceOptions& options) {
    if (options.brokers.empty())
        return Status(ErrorCode::InvalidArgument, "no Kafka brokers given");
    if (options.topic.empty())
        return Status(ErrorCode::InvalidArgument, "no Kafka topic given");

    std::map<std::string, std::string> config;
    std::map<std::string, std::string> credentials;
    if (!isBlank(options.configJson)) {
        auto parsed = parseFlatJsonObject(options.configJson);
        if (!parsed)
            return Status(ErrorCode::InvalidArgument, "CONFIG: " + parsed.status().message());
        config = std::move(parsed.value());
    }
    if (!isBlank(options.credentialsJson)) {
        auto parsed = parseFlatJsonObject(options.credentialsJson);
        if (!parsed)
            return Status(ErrorCode::InvalidArgument, "CREDENTIALS: " + parsed.status().message());
        credentials = std::move(parsed.value());
    }
    for (const auto* source : {&config, &credentials}) {
        for (const char* managed : kManagedProperties) {
            if (source->count(managed))
                return Status(ErrorCode::InvalidArgument,
                              std::string(source == &config ? "CONFIG" : "CREDENTIALS") +
                                  ": property '" + managed +
                                  "' is managed by sluice and cannot be set");
        }
    }

    std::unique_ptr<KafkaSource> self(new KafkaSource());
    Impl& d = *self->m_impl;
    d.topic = options.topic;
    // Every credential value is masked in error text except the protocol name, which
    // librdkafka has validated against its fixed list (else open() fails below) and which
    // appears in every broker address ("sasl_ssl://host:port").
    for (const auto& [name, value] : credentials) {
        if (name != "security.protocol")
            d.errors.secrets.push_back(value);
    }

    ConfHandle conf(rd_kafka_conf_new());
    const std::pair<const char*, std::string> defaults[] = {
        {"bootstrap.servers", options.brokers},
        {"client.id", options.clientId.empty() ? "sluice" : options.clientId},
        // Required by the consumer even with manual assign(); random so runs never share.
        {"group.id", randomGroupId()},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        // A deleted or impossible range is reported as OffsetOutOfRange, never skipped.
        {"auto.offset.reset", "error"},
        // PartitionEof events tell the engine a partition is caught up.
        {"enable.partition.eof", "true"},
        {"fetch.wait.max.ms", "50"},
        // librdkafka 2.0.2 compares both limits with the whole consumer queue (partition queues
        // are forwarded to it) and stops fetching every partition once one is reached, resuming
        // only at its next fetch decision (up to about a second later). The queue must therefore
        // absorb what arrives while the engine builds a batch, or draining a backlog stalls after
        // each batch. Each queued message costs a few hundred bytes besides its payload.
        {"queued.min.messages", "250000"},
        // Bounds pre-fetched data for the whole consumer (high-level consumer queue).
        {"queued.max.messages.kbytes", "32768"},
    };
    std::string error;
    for (const auto& [name, value] : defaults) {
        if (!setConf(conf.get(), name, value, error))
            return Status(ErrorCode::Internal, std::string(name) + ": " + error);
    }
    // Newer librdkafka (2.1+) only: waits less after the pre-fetch queue drains.
    rd_kafka_conf_res_t res = RD_KAFKA_CONF_OK;
    if (!setConf(conf.get(), "fetch.queue.backoff.ms", "10", error, &res) &&
        res != RD_KAFKA_CONF_UNKNOWN)
        return Status(ErrorCode::Internal, "fetch.queue.backoff.ms: " + error);

    for (const auto* source : {&config, &credentials}) {
        const char* label = source == &config ? "CONFIG" : "CREDENTIALS";
        for (const auto& [name, value] : *source) {
            if (setConf(conf.get(), name, value, error, &res))
                continue;
            if (res == RD_KAFKA_CONF_UNKNOWN)
                return Status(ErrorCode::InvalidArgument,
                              std::string(label) + ": unknown librdkafka property '" + name + "'");
            if (source == &credentials) // librdkafka's explanation quotes the value
                return Status(ErrorCode::InvalidArgument,
                              "CREDENTIALS: invalid value for librdkafka property '" + name + "'");
            return Status(ErrorCode::InvalidArgument,
                          std::string(label) + ": invalid value for librdkafka property '" + name +
                              "': " + d.scrub(error));
        }
    }

    rd_kafka_conf_set_error_cb(conf.get(), onConsumerError);
    rd_kafka_conf_set_opaque(conf.get(), &d.errors);

    char errstr[512] = {};
    d.rk.reset(rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), errstr, sizeof(errstr)));
    if (!d.rk)
        return Status(ErrorCode::InvalidArgument,
                      "cannot create Kafka consumer from CONFIG/CREDENTIALS: " + d.scrub(errstr));
    conf.release();

    // Errors and other events of the main queue arrive through the consumer queue, so poll()
    // sees them and nothing piles up unread.
    rd_kafka_poll_set_consumer(d.rk.get());
    d.queue.reset(rd_kafka_queue_get_consumer(d.rk.get()));
    if (!d.queue)
        return Status(ErrorCode::Internal, "librdkafka gave no consumer queue");
    d.waker = std::make_unique<FetchWaker>(d.rk.get(), d.queue.get(), d.topic);
    return self;
}

Result<std::vector<int32_t>> KafkaSource::partitions(int timeoutMs) {
    Impl& d = *m_impl;
    // Asks for all topics: naming the topic would auto-create it on brokers that allow that
    // (the mock always does), and an unknown topic must be NotFound.
    const rd_kafka_metadata_t* raw = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(d.rk.get(), 1, nullptr, &raw, timeoutMs);
    MetadataHandle md(raw);
    if (err)
        return Status(ErrorCode::Kafka,
                      "metadata for topic '" + d.topic + "': " + rd_kafka_err2str(err));
    for (int i = 0; i < md->topic_cnt; ++i) {
        const rd_kafka_metadata_topic_t& t = md->topics[i];
        if (d.topic != t.topic)
            continue;
        if (t.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
            break;
        if (t.err)
            return Status(ErrorCode::Kafka, "topic '" + d.topic + "': " + rd_kafka_err2str(t.err));
        std::vector<int32_t> ids;
        ids.reserve(static_cast<size_t>(t.partition_cnt));
        std::map<int32_t, int32_t> leaders;
        for (int p = 0; p < t.partition_cnt; ++p) {
            ids.push_back(t.partitions[p].id);
            leaders[t.partitions[p].id] = t.partitions[p].leader;
        }
        d.waker->setLeaders(leaders);
        std::sort(ids.begin(), ids.end());
        return ids;
    }
    return Status(ErrorCode::NotFound, "topic '" + d.topic + "' does not exist");
}

Result<Watermarks> KafkaSource::queryWatermarks(int32_t partition, int timeoutMs) {
    Impl& d = *m_impl;
    Watermarks w;
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
        d.rk.get(), d.topic.c_str(), partition, &w.low, &w.high, timeoutMs);
    if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
        err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION || err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)
        return Status(ErrorCode::NotFound,
                      "topic '" + d.topic + "' has no partition " + std::to_string(partition),
                      {{}, partition, -1});
    if (err)
        return Status(ErrorCode::Kafka, "watermarks of '" + d.topic + "': " + rd_kafka_err2str(err),
                      {{}, partition, -1});
    return w;
}

namespace {

// Low and high watermarks of parts in two ListOffsets rounds, "earliest" and "latest" (the
// special timestamps -2 and -1), each one request per leader sent in parallel; nullopt when
// anything is missing or failed.
std::optional<std::map<int32_t, Watermarks>> watermarksAtOnce(rd_kafka_t* rk, const std::string& topic,
                                                              const std::vector<int32_t>& parts,
                                                              int timeoutMs) {
    std::map<int32_t, Watermarks> out;
    for (const int64_t which : {RD_KAFKA_OFFSET_BEGINNING, RD_KAFKA_OFFSET_END}) {
        PartitionListHandle list(rd_kafka_topic_partition_list_new(static_cast<int>(parts.size())));
        for (int32_t p : parts)
            rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = which;
        if (rd_kafka_offsets_for_times(rk, list.get(), timeoutMs) != RD_KAFKA_RESP_ERR_NO_ERROR)
            return std::nullopt;
        for (int i = 0; i < list->cnt; ++i) {
            const auto& e = list->elems[i];
            if (e.err || e.offset < 0)
                return std::nullopt;
            (which == RD_KAFKA_OFFSET_BEGINNING ? out[e.partition].low : out[e.partition].high) = e.offset;
        }
    }
    if (out.size() != parts.size())
        return std::nullopt;
    return out;
}

} // namespace

Result<std::map<int32_t, Watermarks>> KafkaSource::watermarks(int timeoutMs) {
    auto parts = partitions(timeoutMs);
    if (!parts.ok())
        return parts.status();
    // All partitions at once first: a pipeline's first fetch waits for these, so they are worth
    // a round trip per leader instead of two per partition. Anything unexpected falls back to
    // asking partition by partition.
    if (!parts->empty())
        if (auto all = watermarksAtOnce(m_impl->rk.get(), m_impl->topic, *parts, timeoutMs))
            return std::move(*all);
    std::map<int32_t, Watermarks> out;
    for (int32_t p : *parts) {
        auto w = queryWatermarks(p, timeoutMs);
        if (!w.ok())
            return w.status();
        out[p] = *w;
    }
    return out;
}

int64_t KafkaSource::cachedHighWatermark(int32_t partition) const {
    int64_t low = -1;
    int64_t high = -1;
    rd_kafka_resp_err_t err = rd_kafka_get_watermark_offsets(
        m_impl->rk.get(), m_impl->topic.c_str(), partition, &low, &high);
    if (err || high < 0)
        return -1;
    return high;
}

Status KafkaSource::assign(const std::map<int32_t, int64_t>& nextOffsets) {
    Impl& d = *m_impl;
    PartitionListHandle list(
        rd_kafka_topic_partition_list_new(static_cast<int>(nextOffsets.size())));
    for (const auto& [partition, offset] : nextOffsets) {
        if (partition < 0)
            return Status(ErrorCode::InvalidArgument,
                          "bad partition id " + std::to_string(partition));
        if (offset < 0 && offset != RD_KAFKA_OFFSET_BEGINNING && offset != RD_KAFKA_OFFSET_END)
            return Status(ErrorCode::InvalidArgument,
                          "bad offset " + std::to_string(offset) + " for partition " +
                              std::to_string(partition),
                          {{}, partition, offset});
        rd_kafka_topic_partition_list_add(list.get(), d.topic.c_str(), partition)->offset = offset;
    }
    // Drop the old assignment first: librdkafka 2.0.2 otherwise keeps serving messages it
    // prefetched for a partition that stays assigned, from its old fetch position.
    rd_kafka_resp_err_t err = rd_kafka_assign(d.rk.get(), nullptr);
    if (!err)
        err = rd_kafka_assign(d.rk.get(), list.get());
    if (err)
        return Status(ErrorCode::Kafka, "assign on '" + d.topic + "': " + rd_kafka_err2str(err));
    d.waker->setAssignment(nextOffsets);
    return {};
}

namespace {

Status pauseOrResume(rd_kafka_t* rk, const std::string& topic, int32_t partition, bool pause) {
    PartitionListHandle list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition);
    rd_kafka_resp_err_t err = pause ? rd_kafka_pause_partitions(rk, list.get())
                                    : rd_kafka_resume_partitions(rk, list.get());
    if (!err)
        err = list->elems[0].err;
    if (err)
        return Status(ErrorCode::Kafka,
                      std::string(pause ? "pause" : "resume") + " of '" + topic + "' [" +
                          std::to_string(partition) + "]: " + rd_kafka_err2str(err),
                      {{}, partition, -1});
    return {};
}

} // namespace

Status KafkaSource::pause(int32_t partition) {
    return pauseOrResume(m_impl->rk.get(), m_impl->topic, partition, true);
}

Status KafkaSource::resume(int32_t partition) {
    return pauseOrResume(m_impl->rk.get(), m_impl->topic, partition, false);
}

Status KafkaSource::poll(std::vector<KafkaMessage>& out, size_t maxMessages, int timeoutMs,
                         std::vector<PartitionEvent>& events) {
    Impl& d = *m_impl;
    if (maxMessages == 0)
        return {};
    constexpr size_t kChunk = 8192;
    if (d.batch.size() < kChunk)
        d.batch.resize(kChunk);

    size_t taken = 0;
    size_t takenBytes = 0;
    // consume_batch_queue waits until the array is full or the timeout passes, so the first
    // call asks for one element (returns as soon as anything arrives) and the rest drain with
    // timeout 0.
    bool first = true;
    while (taken < maxMessages) {
        const size_t want = first ? 1 : std::min(kChunk, maxMessages - taken);
        const ssize_t n = rd_kafka_consume_batch_queue(d.queue.get(), first ? timeoutMs : 0,
                                                       d.batch.data(), want);
        const bool wasFirst = first;
        first = false;
        if (n < 0)
            return Status(ErrorCode::Kafka, "consume on '" + d.topic +
                                                "': " + rd_kafka_err2str(rd_kafka_last_error()));
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n; ++i) {
            rd_kafka_message_t* raw = d.batch[static_cast<size_t>(i)];
            if (raw->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                out.emplace_back(raw);
                ++taken;
                takenBytes += raw->len;
                continue;
            }
            MessageHandle owned(raw); // error messages never leave this function
            if (!raw->rkt) {
                // Consumer-wide, not about a partition: librdkafka retries; only remembered.
                d.errors.last = d.scrub(rd_kafka_message_errstr(raw));
                continue;
            }
            PartitionEvent ev;
            ev.partition = raw->partition;
            ev.offset = raw->offset;
            switch (raw->err) {
            case RD_KAFKA_RESP_ERR__PARTITION_EOF:
                ev.kind = PartitionEvent::Kind::PartitionEof;
                break;
            case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
            case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
                ev.kind = PartitionEvent::Kind::OffsetOutOfRange;
                break;
            default:
                ev.kind = PartitionEvent::Kind::Error;
                break;
            }
            ev.message = d.scrub(rd_kafka_message_errstr(raw));
            events.push_back(std::move(ev));
        }
        if (!d.errors.fatal.empty())
            break;
        if (!wasFirst && static_cast<size_t>(n) < want)
            break; // drained
    }
    if (taken > 0)
        d.waker->delivered(taken, takenBytes);
    if (!d.errors.fatal.empty())
        return Status(ErrorCode::Kafka, "Kafka consumer failed: " + d.errors.fatal);
    return {};
}

std::string KafkaSource::lastConsumerError() const {
    return m_impl->errors.last;
}

int64_t KafkaSource::fetchNudges() const {
    return m_impl->waker ? m_impl->waker->nudges() : 0;
}

} // namespace sluice::source
