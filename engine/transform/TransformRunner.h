#pragma once
// Runs a pipeline's transform: an external program, once per batch partition, with
// SingleStore's protocol. Kafka input on stdin is each message value as an 8-byte
// little-endian length followed by the bytes; the program's stdout is the data to parse.
//
// Thread-safe: each call forks its own child; no shared state.

#include "common/Result.h"
#include "sql/PipelineStatement.h"

#include <chrono>
#include <string>
#include <string_view>

namespace sluice::transform {

// Appends one framed record (8-byte little-endian length + bytes) to buf.
void appendFramed(std::string& buf, std::string_view value);

struct TransformOutput {
    std::string stdoutData;
    std::string stderrData; // kept (truncated to 64 KiB) for PIPELINES_ERRORS
    int exitCode = 0;
};

// Runs spec.uri with spec.args split on spaces, writes input to its stdin and collects its
// stdout and stderr without deadlocking on full pipes. The program runs with the store's
// folder as working directory when workingDir is not empty.
// Errors (ErrorCode::Transform): cannot start, non-zero exit or killed by a signal, or the
// timeout (ErrorCode::Timeout; the child is killed). On error, the returned Status message
// includes the exit code and the first line of stderr; stderr is also in *failedOutput.
Result<TransformOutput> runTransform(const sql::TransformSpec& spec, std::string_view input,
                                     std::chrono::milliseconds timeout,
                                     const std::string& workingDir = {},
                                     TransformOutput* failedOutput = nullptr);

} // namespace sluice::transform
