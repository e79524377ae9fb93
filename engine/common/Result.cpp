#include "common/Result.h"

namespace sluice {

const char* errorCodeName(ErrorCode code) {
    switch (code) {
    case ErrorCode::Ok: return "ok";
    case ErrorCode::InvalidArgument: return "invalid argument";
    case ErrorCode::Syntax: return "syntax error";
    case ErrorCode::NotFound: return "not found";
    case ErrorCode::AlreadyExists: return "already exists";
    case ErrorCode::Io: return "i/o error";
    case ErrorCode::Sqlite: return "sqlite error";
    case ErrorCode::Kafka: return "kafka error";
    case ErrorCode::Transform: return "transform error";
    case ErrorCode::Parse: return "parse error";
    case ErrorCode::Locked: return "locked";
    case ErrorCode::ReadOnly: return "read-only";
    case ErrorCode::Timeout: return "timeout";
    case ErrorCode::DataLost: return "data lost";
    case ErrorCode::Cancelled: return "cancelled";
    case ErrorCode::Internal: return "internal error";
    }
    return "error";
}

std::string Status::toString() const {
    std::string out;
    if (!m_context.pipeline.empty()) {
        out += "pipeline " + m_context.pipeline;
        if (m_context.partition >= 0)
            out += " partition " + std::to_string(m_context.partition);
        if (m_context.offset >= 0)
            out += " offset " + std::to_string(m_context.offset);
        out += ": ";
    }
    out += m_message;
    return out;
}

} // namespace sluice
