#pragma once
// Expected failures are values: Status (code + message + context) and Result<T>.
// Exceptions are reserved for programming errors and never cross a thread.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace sluice {

enum class ErrorCode {
    Ok,
    InvalidArgument, // bad input from a user: flags, options, values
    Syntax,          // a statement that does not parse; message names the token
    NotFound,
    AlreadyExists,
    Io,
    Sqlite,
    Kafka,
    Transform,
    Parse,    // a malformed message or record
    Locked,   // the store's runner lock is held by another process
    ReadOnly, // the store or folder cannot be written
    Timeout,
    DataLost, // a source deleted data before it was loaded
    Cancelled,
    Internal,
};

const char* errorCodeName(ErrorCode code);

// Where an error happened, when it is about a pipeline's data.
struct ErrorContext {
    std::string pipeline;
    int32_t partition = -1;
    int64_t offset = -1;
};

class [[nodiscard]] Status {
public:
    Status() = default;
    Status(ErrorCode code, std::string message, ErrorContext context = {})
        : m_code(code), m_message(std::move(message)), m_context(std::move(context)) {}

    static Status okStatus() { return {}; }

    bool ok() const { return m_code == ErrorCode::Ok; }
    explicit operator bool() const { return ok(); }
    ErrorCode code() const { return m_code; }
    const std::string& message() const { return m_message; }
    const ErrorContext& context() const { return m_context; }

    // "message" prefixed with the context when there is one.
    std::string toString() const;

private:
    ErrorCode m_code = ErrorCode::Ok;
    std::string m_message;
    ErrorContext m_context;
};

template <typename T> class [[nodiscard]] Result {
public:
    Result(T value) : m_value(std::move(value)) {}
    Result(Status status) : m_value(std::move(status)) {}

    bool ok() const { return std::holds_alternative<T>(m_value); }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<T>(m_value); }
    const T& value() const& { return std::get<T>(m_value); }
    T&& value() && { return std::get<T>(std::move(m_value)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    // The error; an ok Result gives an ok Status.
    Status status() const { return ok() ? Status() : std::get<Status>(m_value); }

private:
    std::variant<T, Status> m_value;
};

} // namespace sluice

#define SLUICE_TRY(expr)                                                                           \
    do {                                                                                           \
        ::sluice::Status sluice_try_status_ = (expr);                                              \
        if (!sluice_try_status_.ok())                                                              \
            return sluice_try_status_;                                                             \
    } while (0)
