#include "TopicLister.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <memory>

namespace sluice::ui::designer {

namespace {

struct ConfDeleter {
    void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
struct HandleDeleter {
    void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct MetadataDeleter {
    void operator()(const rd_kafka_metadata_t* md) const { rd_kafka_metadata_destroy(md); }
};

} // namespace

Result<std::vector<TopicInfo>>
listTopics(const std::string& brokers,
           const std::vector<std::pair<std::string, std::string>>& config, int timeoutMs) {
    if (brokers.empty())
        return Status(ErrorCode::InvalidArgument, "no brokers given");
    std::unique_ptr<rd_kafka_conf_t, ConfDeleter> conf(rd_kafka_conf_new());
    char errstr[512] = {};
    std::vector<std::pair<std::string, std::string>> all = {
        {"bootstrap.servers", brokers},
        // Quiet: an unreachable broker is reported as the result, not logged per retry.
        {"log_level", "0"},
    };
    all.insert(all.end(), config.begin(), config.end());
    for (const auto& [key, value] : all) {
        if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), errstr, sizeof(errstr)) !=
            RD_KAFKA_CONF_OK)
            return Status(ErrorCode::InvalidArgument, "client property " + key + ": " + errstr);
    }
    // rd_kafka_new takes the configuration only on success.
    std::unique_ptr<rd_kafka_t, HandleDeleter> rk(
        rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof(errstr)));
    if (!rk)
        return Status(ErrorCode::InvalidArgument, std::string("Kafka client: ") + errstr);
    (void)conf.release();

    const rd_kafka_metadata_t* raw = nullptr;
    const rd_kafka_resp_err_t err = rd_kafka_metadata(rk.get(), 1, nullptr, &raw, timeoutMs);
    std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter> md(raw);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR || !md)
        return Status(ErrorCode::Kafka,
                      "brokers " + brokers + " did not answer: " + rd_kafka_err2str(err));
    std::vector<TopicInfo> topics;
    for (int i = 0; i < md->topic_cnt; ++i) {
        const rd_kafka_metadata_topic_t& t = md->topics[i];
        const std::string name = t.topic ? t.topic : "";
        if (name.empty() || name.rfind("__", 0) == 0 || t.err != RD_KAFKA_RESP_ERR_NO_ERROR)
            continue;
        topics.push_back({name, t.partition_cnt});
    }
    std::sort(topics.begin(), topics.end(),
              [](const TopicInfo& a, const TopicInfo& b) { return a.name < b.name; });
    return topics;
}

std::vector<std::pair<std::string, std::string>>
kafkaClientConfig(const std::string& configJson, const std::string& credentialsJson) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const std::string& text : {configJson, credentialsJson}) {
        const QJsonDocument json = QJsonDocument::fromJson(QByteArray::fromStdString(text));
        if (!json.isObject())
            continue;
        const QJsonObject object = json.object();
        for (auto it = object.begin(); it != object.end(); ++it) {
            const QJsonValue v = it.value();
            QString value;
            if (v.isString())
                value = v.toString();
            else if (v.isBool())
                value = v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
            else if (v.isDouble())
                value = QString::number(v.toDouble(), 'g', 17);
            else
                continue;
            out.emplace_back(it.key().toStdString(), value.toStdString());
        }
    }
    return out;
}

} // namespace sluice::ui::designer
