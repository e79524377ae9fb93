#pragma once
// CSV parsing with LOAD DATA's options (FIELDS TERMINATED BY / [OPTIONALLY] ENCLOSED BY /
// ESCAPED BY, LINES STARTING BY / TERMINATED BY, IGNORE n LINES).
//
// Parses in place: fields are slices of the input unless unescaping was needed, in which case
// they point into the parser's scratch buffer, valid until the next parse() call.
// Stateless between calls apart from that scratch; one parser per thread.

#include "common/Result.h"
#include "sql/PipelineStatement.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::format {

struct Field {
    std::string_view text;
    bool isNull = false; // \N unenclosed (with an escape character), like MySQL
};

class RecordSink {
public:
    virtual ~RecordSink() = default;
    // One record. recordIndex counts records from 0 within this parse() call. Return false to
    // stop parsing (parse() then returns ok).
    virtual bool onRecord(std::span<const Field> fields, size_t recordIndex) = 0;
};

class CsvParser {
public:
    explicit CsvParser(const sql::CsvOptions& options);

    // Parses text (one Kafka message, a transform's output or a file). The last record may or
    // may not end with the line terminator; an empty input gives no records; IGNORE n LINES
    // skips the first n records of this text. Errors (ErrorCode::Parse): an unterminated
    // enclosure, with the record index and byte offset in the message.
    Status parse(std::string_view text, RecordSink& sink);

private:
    sql::CsvOptions m_options;
    std::string m_scratch;
    std::vector<Field> m_fields;
};

} // namespace sluice::format
