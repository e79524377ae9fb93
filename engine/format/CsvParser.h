#pragma once
// CSV parsing with LOAD DATA's options (FIELDS TERMINATED BY / [OPTIONALLY] ENCLOSED BY /
// ESCAPED BY, LINES STARTING BY / TERMINATED BY, IGNORE n LINES).
//
// Parses in place: fields are slices of the input unless unescaping was needed, in which case
// they point into the parser's scratch buffer, valid until the next parse() call.
// Stateless between calls apart from that scratch; one parser per thread.

#include "common/Result.h"
#include "sql/PipelineStatement.h"

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::format {

struct Field {
    std::string_view text; // empty when isNull
    bool isNull = false;   // \N unenclosed (with an escape character), like MySQL
};

class RecordSink {
public:
    virtual ~RecordSink() = default;
    // One record. recordIndex counts records from 0 within this parse() call, including the
    // ones IGNORE n LINES skipped (after IGNORE 1 LINES the first record delivered is 1); lines
    // without the LINES STARTING BY prefix are not records and are not counted. The span and the
    // fields' text stay valid until the next parse() call (text points into the input or the
    // parser's scratch). Return false to stop parsing (parse() then returns ok).
    virtual bool onRecord(std::span<const Field> fields, size_t recordIndex) = 0;
};

class CsvParser {
public:
    explicit CsvParser(const sql::CsvOptions& options);

    // Parses text (one Kafka message, a transform's output or a file). The last record may or
    // may not end with the line terminator; an empty input gives no records; IGNORE n LINES
    // skips the first n records of this text. Errors (ErrorCode::Parse): an unterminated
    // enclosure, with the record index and byte offset in the message.
    //
    // Rules (MySQL LOAD DATA): records end at LINES TERMINATED BY (an empty one: the whole text
    // is one record); a trailing terminator adds no record, a blank line is a record with one
    // empty field (so "\n" alone is one such record). Fields split at FIELDS TERMINATED BY (an
    // empty one: one field per record). A field that starts with the enclosure is enclosed: a
    // doubled enclosure is one enclosure character, terminators are data, and it ends at an
    // enclosure followed by a terminator or the end of the text; any other enclosure inside is
    // data. OPTIONALLY changes nothing on input. Escapes (in and out of enclosures): \0 \b \n \r
    // \t \Z, and escape + any other byte is that byte; an escape as the last byte is data. An
    // unenclosed field that is exactly \N is NULL; "\N" enclosed is the text N. When the escape
    // and enclosure are the same character, the escape only doubles itself. Only the first byte
    // of ENCLOSED BY and ESCAPED BY counts. The word NULL is always text.
    Status parse(std::string_view text, RecordSink& sink);

private:
    // Marks in m_stopBits every byte of text that m_stop holds (one bit per byte).
    void markStops(std::string_view text);
    // The first marked position at or after pos, or text size when none.
    size_t nextStop(size_t pos, size_t n) const;

    sql::CsvOptions m_options;
    std::string m_scratch;
    std::vector<Field> m_fields;
    size_t m_scratchUsed = 0;
    int m_enclosure = -1;                            // the byte, or -1 for none
    int m_escape = -1;                               // the byte, or -1 for none
    std::array<unsigned char, 256> m_stop{};         // bytes that may end a plain run, unenclosed
    std::array<unsigned char, 256> m_enclosedStop{}; // same inside an enclosure
    std::array<unsigned char, 3> m_stopBytes{};      // the bytes of m_stop (at most 3)
    size_t m_stopCount = 0;
    std::vector<uint64_t> m_stopBits;                // markStops() of the text being parsed
};

} // namespace sluice::format
