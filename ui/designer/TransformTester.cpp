#include "TransformTester.h"

#include "format/CsvParser.h"
#include "source/KafkaSource.h"
#include "transform/TransformRunner.h"

#include <QFile>
#include <QTemporaryDir>

#include <chrono>
#include <map>
#include <set>

namespace sluice::ui::designer {

namespace {

class RowCollector : public format::RecordSink {
public:
    RowCollector(TransformTestResult& result, size_t expectedFields, int64_t recordBase)
        : m_result(result), m_expected(expectedFields), m_base(recordBase) {}

    bool onRecord(std::span<const format::Field> fields, size_t recordIndex) override {
        std::vector<std::string> row;
        row.reserve(fields.size());
        for (const format::Field& f : fields)
            row.emplace_back(f.isNull ? std::string("\\N") : std::string(f.text));
        const int64_t index = m_base + static_cast<int64_t>(recordIndex);
        if (m_expected != 0 && row.size() != m_expected)
            m_result.errors.push_back({index, "expected " + std::to_string(m_expected) +
                                                  " fields, got " + std::to_string(row.size())});
        m_result.rows.push_back(std::move(row));
        ++m_delivered;
        return true;
    }
    size_t delivered() const { return m_delivered; }

private:
    TransformTestResult& m_result;
    size_t m_expected;
    int64_t m_base;
    size_t m_delivered = 0;
};

void parseInto(TransformTestResult& result, const TransformTestRequest& request,
               std::string_view text, int64_t recordBase) {
    format::CsvParser parser(request.spec.csv);
    RowCollector sink(result, request.spec.columns.size(), recordBase);
    const Status st = parser.parse(text, sink);
    if (!st.ok())
        result.errors.push_back(
            {recordBase + static_cast<int64_t>(sink.delivered()), st.message()});
}

} // namespace

Result<std::vector<SampledRecord>> sampleMessages(const TransformTestRequest& request) {
    const sql::PipelineSpec& spec = request.spec;
    if (spec.sourceType != sql::SourceType::Kafka)
        return Status(ErrorCode::InvalidArgument, "sampling needs a Kafka source");
    source::KafkaSourceOptions options;
    options.brokers = spec.brokers;
    options.topic = spec.topic;
    options.configJson = spec.configJson;
    options.credentialsJson = spec.credentialsJson;
    options.clientId = "sluice-designer";
    auto source = source::KafkaSource::open(options);
    if (!source)
        return source.status();
    const int metadataTimeout = std::min(request.timeoutMs, 5000);
    auto partitions = source.value()->partitions(metadataTimeout);
    if (!partitions)
        return partitions.status();
    std::map<int32_t, int64_t> start;
    int64_t available = 0;
    for (int32_t p : partitions.value()) {
        auto marks = source.value()->queryWatermarks(p, metadataTimeout);
        if (!marks)
            return marks.status();
        if (marks->high > marks->low) {
            start[p] = marks->low;
            available += marks->high - marks->low;
        }
    }
    std::vector<SampledRecord> out;
    if (start.empty())
        return out;
    SLUICE_TRY(source.value()->assign(start));
    const size_t wanted = static_cast<size_t>(std::min<int64_t>(request.messages, available));
    std::set<int32_t> finished;
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(request.timeoutMs);
    std::vector<source::KafkaMessage> batch;
    std::vector<source::PartitionEvent> events;
    while (out.size() < wanted && finished.size() < start.size() &&
           std::chrono::steady_clock::now() < deadline) {
        batch.clear();
        events.clear();
        SLUICE_TRY(source.value()->poll(batch, wanted - out.size(), 200, events));
        for (const source::KafkaMessage& m : batch) {
            if (out.size() < wanted)
                out.push_back({m.partition(), m.offset(), std::string(m.value())});
        }
        for (const source::PartitionEvent& e : events) {
            if (e.kind == source::PartitionEvent::Kind::Error && e.partition < 0)
                return Status(ErrorCode::Kafka, e.message);
            if (e.partition >= 0)
                finished.insert(e.partition);
        }
    }
    if (out.empty())
        return Status(ErrorCode::Timeout, "no message arrived within " +
                                              std::to_string(request.timeoutMs) + " ms" +
                                              (source.value()->lastConsumerError().empty()
                                                   ? std::string()
                                                   : ": " + source.value()->lastConsumerError()));
    return out;
}

TransformTestResult transformAndParse(const TransformTestRequest& request,
                                      std::vector<SampledRecord> input) {
    TransformTestResult result;
    result.input = std::move(input);
    result.columns = request.spec.columns;
    const sql::PipelineSpec& spec = request.spec;
    const bool csv = spec.format == sql::DataFormat::Csv;

    if (!spec.transform && request.inlineScript.empty()) {
        for (size_t i = 0; i < result.input.size(); ++i) {
            result.output += result.input[i].value;
            if (!result.output.empty() && result.output.back() != '\n')
                result.output += '\n';
            if (csv)
                parseInto(result, request, result.input[i].value, static_cast<int64_t>(i));
        }
        if (!csv)
            result.errors.push_back({0, "the preview parses CSV only"});
        return result;
    }

    sql::TransformSpec transform = spec.transform.value_or(sql::TransformSpec{});
    QTemporaryDir scratch;
    if (!request.inlineScript.empty()) {
        if (!scratch.isValid()) {
            result.status = Status(ErrorCode::Io, "cannot create a temporary folder");
            return result;
        }
        QFile file(scratch.filePath(QStringLiteral("inline-transform")));
        if (!file.open(QIODevice::WriteOnly) ||
            file.write(request.inlineScript.data(),
                       static_cast<qint64>(request.inlineScript.size())) < 0) {
            result.status = Status(ErrorCode::Io, "cannot write the script to a temporary file");
            return result;
        }
        file.close();
        file.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        transform.uri = file.fileName().toStdString();
    }

    std::string framed;
    for (const SampledRecord& r : result.input)
        transform::appendFramed(framed, r.value);
    transform::TransformOutput failed;
    auto out =
        transform::runTransform(transform, framed, std::chrono::milliseconds(request.timeoutMs),
                                request.workingDir, &failed);
    result.transformed = true;
    if (!out) {
        result.status = out.status();
        result.stderrText = failed.stderrData;
        result.output = failed.stdoutData;
        result.exitCode = failed.exitCode;
        return result;
    }
    result.output = out->stdoutData;
    result.stderrText = out->stderrData;
    result.exitCode = out->exitCode;
    if (csv)
        parseInto(result, request, result.output, 0);
    else
        result.errors.push_back({0, "the preview parses CSV only"});
    return result;
}

TransformTestResult runTransformTest(const TransformTestRequest& request) {
    auto sample = sampleMessages(request);
    if (!sample) {
        TransformTestResult result;
        result.status = sample.status();
        return result;
    }
    return transformAndParse(request, std::move(sample.value()));
}

namespace {

// The rows of `from` left after removing, one for one, those also in `other`.
std::vector<std::vector<std::string>>
rowsNotIn(const std::vector<std::vector<std::string>>& from,
          const std::vector<std::vector<std::string>>& other) {
    std::map<std::vector<std::string>, int> available;
    for (const auto& row : other)
        ++available[row];
    std::vector<std::vector<std::string>> out;
    for (const auto& row : from) {
        auto it = available.find(row);
        if (it != available.end() && it->second > 0)
            --it->second;
        else
            out.push_back(row);
    }
    return out;
}

} // namespace

TransformCompareResult compareTransforms(const TransformTestRequest& deployed,
                                         const TransformTestRequest& edited,
                                         std::vector<SampledRecord> input) {
    TransformCompareResult result;
    result.deployed = transformAndParse(deployed, input);
    result.edited = transformAndParse(edited, input);
    result.input = std::move(input);
    if (!result.deployed.status.ok())
        result.status = Status(result.deployed.status.code(),
                               "deployed transform: " + result.deployed.status.message());
    else if (!result.edited.status.ok())
        result.status = Status(result.edited.status.code(),
                               "edited transform: " + result.edited.status.message());
    result.onlyDeployed = rowsNotIn(result.deployed.rows, result.edited.rows);
    result.onlyEdited = rowsNotIn(result.edited.rows, result.deployed.rows);
    return result;
}

TransformCompareResult runTransformCompare(const TransformTestRequest& deployed,
                                           const TransformTestRequest& edited) {
    auto input = sampleMessages(edited);
    if (!input) {
        TransformCompareResult result;
        result.status = input.status();
        return result;
    }
    return compareTransforms(deployed, edited, std::move(input.value()));
}

} // namespace sluice::ui::designer
