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
    int exitCode = 0;       // 128 + n when killed by signal n; -1 when not started or timed out
};

// Runs spec.uri with spec.args split on spaces, writes input to its stdin and collects its
// stdout and stderr without deadlocking on full pipes. The program runs with the store's
// folder as working directory when workingDir is not empty.
// Errors (ErrorCode::Transform): cannot start, non-zero exit or killed by a signal, or the
// timeout (ErrorCode::Timeout; the child is killed). On error, the returned Status message
// includes the exit code and the first line of stderr; stderr is also in *failedOutput.
//
// Details: a "file://" prefix is dropped; other URLs are refused. A relative path is relative to
// workingDir (or this process's directory when workingDir is empty); a bare name that is not a
// file in workingDir is looked up in PATH. The program gets its own process group (a timeout
// kills the whole group), an empty signal mask and default signal dispositions. A run ends when
// the program has exited and its stdout and stderr are closed; a program that stops reading its
// stdin early is not an error by itself (its exit status decides). SIGPIPE is blocked in the
// calling thread during the call and the mask restored after; nothing process-wide changes.
// timeout <= 0 means no limit. Messages:
//   cannot run transform 'URI': <strerror or reason>
//   transform 'URI' exited with code N[: <first stderr line>]
//   transform 'URI' was killed by signal N (<description>)[: <first stderr line>]
//   transform 'URI' timed out after N ms
Result<TransformOutput> runTransform(const sql::TransformSpec& spec, std::string_view input,
                                     std::chrono::milliseconds timeout,
                                     const std::string& workingDir = {},
                                     TransformOutput* failedOutput = nullptr);

} // namespace sluice::transform
