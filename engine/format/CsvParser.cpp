#include "format/CsvParser.h"

#include <algorithm>
#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// Hot path. A record is scanned once, left to right. Unenclosed fields stop only at bytes marked
// in m_stop (first byte of either terminator, the escape character); enclosed fields only at the
// enclosure or escape character. Before parsing, markStops() finds every m_stop byte of the text
// 16 bytes at a time (SSE2) into a bitmap, so an unenclosed field is skipped with a count of
// trailing zeros rather than byte by byte; enclosed fields are skipped by a table lookup. While
// a field is still in place it is never copied. The first escape or doubled enclosure switches the
// field to "copied": what was scanned so far goes to m_scratch, and the rest follows segment by
// segment with memcpy.
//
// m_scratch is grown to text.size() before the first copy of a parse() call and never beyond:
// unescaped bytes are never more than the input bytes they come from, so it does not reallocate
// while fields of this call point into it.

namespace sluice::format {

namespace {

char unescape(char c) {
    switch (c) {
    case '0':
        return '\0';
    case 'b':
        return '\b';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    case 'Z':
        return '\032';
    default:
        return c; // an escaped terminator, enclosure or escape character stands for itself
    }
}

// Inline for the usual one-byte terminators (called at every field end).
inline bool startsWithAt(std::string_view text, size_t pos, std::string_view what) {
    if (what.size() == 1)
        return pos < text.size() && text[pos] == what[0];
    return !what.empty() && text.size() - pos >= what.size() &&
           std::memcmp(text.data() + pos, what.data(), what.size()) == 0;
}

} // namespace

CsvParser::CsvParser(const sql::CsvOptions& options) : m_options(options) {
    // One-byte enclosure and escape, like MySQL: only the first byte of a longer value counts.
    m_enclosure =
        m_options.enclosedBy.empty() ? -1 : static_cast<unsigned char>(m_options.enclosedBy[0]);
    m_escape =
        m_options.escapedBy.empty() ? -1 : static_cast<unsigned char>(m_options.escapedBy[0]);
    m_stop.fill(0);
    m_enclosedStop.fill(0);
    if (!m_options.fieldsTerminatedBy.empty())
        m_stop[static_cast<unsigned char>(m_options.fieldsTerminatedBy[0])] = 1;
    if (!m_options.linesTerminatedBy.empty())
        m_stop[static_cast<unsigned char>(m_options.linesTerminatedBy[0])] = 1;
    if (m_escape >= 0) {
        m_stop[m_escape] = 1;
        m_enclosedStop[m_escape] = 1;
    }
    if (m_enclosure >= 0)
        m_enclosedStop[m_enclosure] = 1;
    for (int b = 0; b < 256; ++b)
        if (m_stop[static_cast<size_t>(b)])
            m_stopBytes[m_stopCount++] = static_cast<unsigned char>(b);
}

void CsvParser::markStops(std::string_view text) {
    const size_t n = text.size();
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    m_stopBits.assign((n + 63) / 64, 0);
    if (m_stopCount == 0)
        return;
    size_t i = 0;
#if defined(__SSE2__)
    // Unused slots repeat the first byte, so three compares cover one to three stop bytes.
    const auto byteAt = [&](size_t k) {
        return static_cast<char>(m_stopBytes[k < m_stopCount ? k : 0]);
    };
    const __m128i s0 = _mm_set1_epi8(byteAt(0));
    const __m128i s1 = _mm_set1_epi8(byteAt(1));
    const __m128i s2 = _mm_set1_epi8(byteAt(2));
    for (; i + 16 <= n; i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
        const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, s0), _mm_cmpeq_epi8(v, s1)),
                                         _mm_cmpeq_epi8(v, s2));
        const auto bits = static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(hit)));
        m_stopBits[i >> 6] |= bits << (i & 63); // i is a multiple of 16: the 16 bits fit
    }
#endif
    for (; i < n; ++i)
        if (m_stop[p[i]])
            m_stopBits[i >> 6] |= uint64_t{1} << (i & 63);
}

size_t CsvParser::nextStop(size_t pos, size_t n) const {
    if (pos >= n)
        return n;
    size_t w = pos >> 6;
    uint64_t bits = m_stopBits[w] & (~uint64_t{0} << (pos & 63));
    while (bits == 0) {
        if (++w >= m_stopBits.size())
            return n;
        bits = m_stopBits[w];
    }
    return std::min(n, (w << 6) + static_cast<size_t>(std::countr_zero(bits)));
}

Status CsvParser::parse(std::string_view text, RecordSink& sink) {
    const std::string_view fieldTerm = m_options.fieldsTerminatedBy;
    const std::string_view lineTerm = m_options.linesTerminatedBy;
    const std::string_view linePrefix = m_options.linesStartingBy;
    const int64_t ignore = std::max<int64_t>(0, m_options.ignoreLines);
    const size_t n = text.size();
    const char* const in = text.data();
    const auto* const bytes = reinterpret_cast<const unsigned char*>(in);

    m_scratchUsed = 0;
    markStops(text);
    bool scratchReady = false;
    // Returns where copied bytes go; sizes m_scratch for this call on first use.
    auto scratch = [&]() -> char* {
        if (!scratchReady) {
            if (m_scratch.size() < n)
                m_scratch.resize(n);
            scratchReady = true;
        }
        return m_scratch.data();
    };

    auto unterminated = [&](size_t record, size_t open) {
        return Status(ErrorCode::Parse, "unterminated enclosure in record " +
                                            std::to_string(record) + ": " +
                                            m_options.enclosedBy.substr(0, 1) + " opened at byte " +
                                            std::to_string(open) + " is never closed");
    };

    size_t pos = 0;
    size_t recordIndex = 0;
    while (pos < n) {
        if (!linePrefix.empty()) {
            // MySQL: skip everything up to and including the next prefix; no prefix, no record.
            const size_t found = text.find(linePrefix, pos);
            if (found == std::string_view::npos)
                break;
            pos = found + linePrefix.size();
        }
        m_fields.clear();
        bool endOfRecord = false;
        while (!endOfRecord) {
            Field field;
            // Set for a copied field: its bytes are scratch[copyStart, m_scratchUsed).
            bool copied = false;
            size_t copyStart = 0;
            auto startCopy = [&](size_t from, size_t to) {
                char* s = scratch();
                copyStart = m_scratchUsed;
                std::memcpy(s + m_scratchUsed, in + from, to - from);
                m_scratchUsed += to - from;
                copied = true;
            };
            auto put = [&](char c) { m_scratch[m_scratchUsed++] = c; };

            if (m_enclosure >= 0 && pos < n && bytes[pos] == m_enclosure) {
                const size_t open = pos;
                const size_t start = ++pos;
                size_t end = 0;
                for (;;) {
                    const size_t seg = pos;
                    while (pos < n && !m_enclosedStop[bytes[pos]])
                        ++pos;
                    if (copied && pos > seg) {
                        std::memcpy(m_scratch.data() + m_scratchUsed, in + seg, pos - seg);
                        m_scratchUsed += pos - seg;
                    }
                    if (pos >= n)
                        return unterminated(recordIndex, open);
                    const unsigned char c = bytes[pos];
                    if (c == m_escape && m_escape != m_enclosure) {
                        if (pos + 1 >= n) // the escape takes the last byte: nothing closes
                            return unterminated(recordIndex, open);
                        if (!copied)
                            startCopy(start, pos);
                        put(unescape(in[pos + 1]));
                        pos += 2;
                        continue;
                    }
                    // The enclosure (also when it doubles as the escape character).
                    const size_t after = pos + 1;
                    if (after < n && bytes[after] == m_enclosure) {
                        if (!copied)
                            startCopy(start, pos);
                        put(in[pos]);
                        pos += 2;
                        continue;
                    }
                    if (after == n || startsWithAt(text, after, lineTerm) ||
                        startsWithAt(text, after, fieldTerm)) {
                        end = pos;
                        pos = after;
                        break;
                    }
                    // A lone enclosure inside the field is data (MySQL).
                    if (copied)
                        put(in[pos]);
                    ++pos;
                }
                field.text = copied ? std::string_view(m_scratch.data() + copyStart,
                                                       m_scratchUsed - copyStart)
                                    : std::string_view(in + start, end - start);
            } else {
                const size_t start = pos;
                for (;;) {
                    const size_t seg = pos;
                    pos = nextStop(pos, n);
                    if (copied && pos > seg) {
                        std::memcpy(m_scratch.data() + m_scratchUsed, in + seg, pos - seg);
                        m_scratchUsed += pos - seg;
                    }
                    if (pos >= n)
                        break;
                    const unsigned char c = bytes[pos];
                    if (c == m_escape && pos + 1 < n &&
                        (m_escape != m_enclosure || bytes[pos + 1] == m_escape)) {
                        if (!copied)
                            startCopy(start, pos);
                        put(unescape(in[pos + 1]));
                        pos += 2;
                        continue;
                    }
                    if (startsWithAt(text, pos, lineTerm) || startsWithAt(text, pos, fieldTerm))
                        break;
                    // A terminator's first byte that does not start the terminator, or a trailing
                    // escape character: data.
                    if (copied)
                        put(in[pos]);
                    ++pos;
                }
                if (copied) {
                    field.text =
                        std::string_view(m_scratch.data() + copyStart, m_scratchUsed - copyStart);
                } else {
                    field.text = std::string_view(in + start, pos - start);
                }
                if (pos - start == 2 && bytes[start] == m_escape && in[start + 1] == 'N' &&
                    m_escape != m_enclosure) {
                    field.isNull = true;
                    field.text = {};
                }
            }
            m_fields.push_back(field);

            if (pos >= n) {
                endOfRecord = true;
            } else if (startsWithAt(text, pos, lineTerm)) {
                pos += lineTerm.size();
                endOfRecord = true;
            } else {
                // Only a field terminator can stop a field that is not at a line end.
                // "a," at the very end: the next round yields a last, empty field.
                pos += fieldTerm.size();
            }
        }
        if (static_cast<int64_t>(recordIndex) >= ignore &&
            !sink.onRecord(std::span<const Field>(m_fields.data(), m_fields.size()), recordIndex))
            return Status::okStatus();
        ++recordIndex;
    }
    return Status::okStatus();
}

} // namespace sluice::format
